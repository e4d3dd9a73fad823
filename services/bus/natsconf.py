"""The nats-server configuration `forewarn nats-config` writes: JetStream, the two accounts, their users.

Each account is a subject space of its own (accounts.py says why there are two).
What crosses between them is listed here, one line each, and nothing else can:
an export names the one account that may import it.
"""

from __future__ import annotations

from dataclasses import dataclass

from forewarn.schemas import subjects

from .accounts import ADMIN, FRONT_ACCOUNT, SERVICES_ACCOUNT, USERS, inbox
from .readiness import BOOKING_PATH
from .stream import FRONT_API, MAX_PAYLOAD, SERVICES_API, VIEW_DELIVERY


@dataclass(frozen=True)
class Shared:
    """A subject one account offers the other: a service (requests in, answers back) or a stream."""

    kind: str  # "service" or "stream"
    subject: str
    why: str

    def seen_as(self, api: str) -> str:
        """The subject in the importing account: a JetStream API subject under its prefix."""
        return self.subject.replace("$JS.API", api, 1)


# What the services' account offers the front.
FROM_SERVICES = (
    Shared("service", subjects.COMMANDS, "the CLI's commands, stored in MAINT_COMMANDS"),
    Shared("service", subjects.RECORD_ANSWER, "the status page's answers, which the reporter records"),
    Shared("service", f"$JS.API.CONSUMER.CREATE.{subjects.STREAM}", "the front's view mirrors MAINT"),
    Shared("service", f"$JS.FC.{subjects.STREAM}.>", "the view's flow control"),
    Shared("stream", f"{VIEW_DELIVERY}.>", "MAINT's messages on their way into the view"),
    Shared("stream", inbox("cli"), "the scheduler's answers to the CLI's commands"),
    *(
        Shared("service", f"$JS.API.CONSUMER.INFO.{stream}.{name}", "`forewarn wait`")
        for stream, name, _ in BOOKING_PATH
    ),
)
# What the front's account offers the services: the scheduler declares the view; an
# operator's login erases from it (`forewarn contact forget`, `forewarn dlq retry`),
# purges what a repair needs gone, and deletes a consumer a front login made to flood.
FROM_FRONT = (
    *(
        Shared("service", f"$JS.API.STREAM.{verb}.{subjects.VIEW_STREAM}", "the view, kept by the services")
        for verb in ("CREATE", "UPDATE", "INFO", "MSG.DELETE", "PURGE")
    ),
    *(
        Shared("service", f"$JS.API.CONSUMER.{verb}.{subjects.VIEW_STREAM}{tail}", "finding a runaway")
        for verb, tail in (("NAMES", ""), ("LIST", ""), ("INFO", ".*"))
    ),
    Shared("service", f"$JS.API.CONSUMER.DELETE.{subjects.VIEW_STREAM}.*", "ending a reader's runaway"),
)


def _list(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in dict.fromkeys(items)) + "]"


def _users(account: str) -> list[str]:
    lines = []
    for user in (*USERS, ADMIN):
        if user.account == account:
            lines += [
                f"      # {user.login}: {user.why}",
                f"      {{user: {user.login}, password: ${user.env}, permissions: {{",
                f"        publish: {{allow: {_list(user.publish)}}},",
                f"        subscribe: {{allow: {_list(user.subscribe)}}}" + ("," if user.responds else ""),
                *(["        allow_responses: true"] if user.responds else []),
                "      }},",
            ]
    return lines


def _account(name: str, *, offers: tuple[Shared, ...], takes: tuple[Shared, ...], other: str) -> list[str]:
    api = SERVICES_API if other == SERVICES_ACCOUNT else FRONT_API
    lines = [
        f"  {name}: {{",
        "    jetstream: enabled",
        "    users: [",
        *_users(name),
        "    ]",
        "    exports: [",
    ]
    lines += [f'      {{{s.kind}: "{s.subject}", accounts: [{other}]}}  # {s.why}' for s in offers]
    lines += ["    ]", "    imports: ["]
    for s in takes:
        to = f', to: "{s.seen_as(api)}"' if s.seen_as(api) != s.subject else ""
        lines.append(f'      {{{s.kind}: {{account: {other}, subject: "{s.subject}"}}{to}}}')
    return [*lines, "    ]", "  }"]


def server_config(
    *,
    listen: str,
    store_dir: str,
    routes: list[str] | None = None,
    name: str = "",
    http: str = "",
    users: bool = True,
) -> str:
    """A nats-server configuration: JetStream, forewarn's users (unless told not), optionally a cluster."""
    lines = [
        "# Written by `forewarn nats-config`. Passwords are references to the environment of",
        "# nats-server: set FOREWARN_NATS_PASSWORD_<USER> for each user before starting it.",
        "# The server parses those values like this file: use letters and digits, starting",
        "# with a letter (`forewarn nats-config --passwords` prints such ones).",
    ]
    if name:
        lines.append(f"server_name: {name}")
    lines += [f"listen: {listen}", f"max_payload: {MAX_PAYLOAD}", f'jetstream {{ store_dir: "{store_dir}" }}']
    if http:
        lines.append(f"http: {http}")
    if routes:
        lines.append(f"cluster {{ name: forewarn, listen: 0.0.0.0:6222, routes: {_list(tuple(routes))} }}")
    if not users:
        return "\n".join([*lines, ""])
    lines += [
        "# The services, with the streams; and the front (the CLI, the status page), with a",
        "# mirror of MAINT of its own. Only what the exports list crosses between them.",
        "accounts {",
        *_account(SERVICES_ACCOUNT, offers=FROM_SERVICES, takes=FROM_FRONT, other=FRONT_ACCOUNT),
        *_account(FRONT_ACCOUNT, offers=FROM_FRONT, takes=FROM_SERVICES, other=SERVICES_ACCOUNT),
        "}",
        "",
    ]
    return "\n".join(lines)
