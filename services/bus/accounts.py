"""NATS users for forewarn: one per service, each allowed only the subjects it needs.

`forewarn nats-config` writes these into a nats-server configuration. Passwords
never appear in it: each is a reference to an environment variable of the
nats-server process (FOREWARN_NATS_PASSWORD_<USER>), which the server resolves
when it starts.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from forewarn.schemas import subjects

from .stream import MAX_PAYLOAD

S = subjects.STREAM
# What every JetStream client does: look up the stream, bind its durable
# consumers, pull and acknowledge messages, and receive answers on its inbox.
JETSTREAM_CLIENT = (
    "$JS.API.INFO",
    f"$JS.API.STREAM.INFO.{S}",
    f"$JS.API.CONSUMER.INFO.{S}.>",
    f"$JS.API.CONSUMER.CREATE.{S}",
    f"$JS.API.CONSUMER.CREATE.{S}.>",
    f"$JS.API.CONSUMER.DURABLE.CREATE.{S}.>",
    f"$JS.API.CONSUMER.MSG.NEXT.{S}.>",
    f"$JS.ACK.{S}.>",
)
# Reading the stream from the start (the status page, `forewarn tail`): ephemeral
# ordered consumers, which are recreated after a gap and answer flow control.
STREAM_READER = (
    "$JS.API.INFO",
    f"$JS.API.STREAM.INFO.{S}",
    f"$JS.API.CONSUMER.CREATE.{S}",
    f"$JS.API.CONSUMER.CREATE.{S}.>",
    f"$JS.API.CONSUMER.DELETE.{S}.>",
    "$JS.FC.>",
)
INBOX = "_INBOX.>"
DEAD_LETTERS = subjects.DEAD_LETTERS
GET_MESSAGE = (f"$JS.API.STREAM.MSG.GET.{S}", f"$JS.API.DIRECT.GET.{S}", f"$JS.API.DIRECT.GET.{S}.>")


@dataclass(frozen=True)
class User:
    """A NATS user and what it may publish; every user subscribes only to its own inbox."""

    name: str
    publish: tuple[str, ...]
    subscribe: tuple[str, ...] = (INBOX,)
    why: str = ""
    env: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "env", f"FOREWARN_NATS_PASSWORD_{self.name.upper()}")

    @property
    def login(self) -> str:
        return f"forewarn-{self.name}"


USERS = (
    User(
        "scheduler",
        (
            *JETSTREAM_CLIENT,
            f"$JS.API.STREAM.CREATE.{S}",
            f"$JS.API.STREAM.UPDATE.{S}",
            f"$JS.API.STREAM.PURGE.{S}",
            *GET_MESSAGE,
            subjects.WINDOW_EVENTS,
            f"{subjects.TIMER_PREFIX}.>",
            DEAD_LETTERS,
            INBOX,  # answers to the CLI's commands
        ),
        why="owns the stream; the only publisher of window lifecycle events; sets timers",
    ),
    User(
        "impact", (*JETSTREAM_CLIENT, subjects.IMPACT_RESOLVED, DEAD_LETTERS), why="publishes ImpactResolved"
    ),
    User(
        "notifier",
        (
            *JETSTREAM_CLIENT,
            f"$JS.API.STREAM.PURGE.{S}",
            *GET_MESSAGE,
            "maint.notice.>",
            subjects.reminder_timers("*"),
            DEAD_LETTERS,
        ),
        why="publishes notice outcomes and its reminder timers",
    ),
    User(
        "reporter",
        (*JETSTREAM_CLIENT, *GET_MESSAGE, "maint.notice.>", subjects.REPORT_PUBLISHED, DEAD_LETTERS),
        why="publishes completion notices' outcomes and reports",
    ),
    User("statuspage", STREAM_READER, why="reads the stream; publishes nothing"),
    User("cli", (*STREAM_READER, subjects.COMMANDS), why="sends commands and reads the answers"),
)
# Operators replaying dead letters (`forewarn dlq retry`) or repairing by hand.
ADMIN = User("admin", (">",), (">",), why="operators: dead-letter replays and repairs")


def new_password() -> str:
    """A random password nats-server reads back intact from its environment.

    The server parses a referenced variable's value like configuration text: a
    value starting with a digit or holding punctuation can come back changed or
    refused. Letters and hex digits, starting with a letter, always survive.
    """
    return "fw" + secrets.token_hex(24)


def _list(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in dict.fromkeys(items)) + "]"


def server_config(
    *, listen: str, store_dir: str, routes: list[str] | None = None, name: str = "", http: str = ""
) -> str:
    """A nats-server configuration: JetStream, forewarn's users, and optionally a cluster."""
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
    lines += ["authorization {", "  users = ["]
    for user in (*USERS, ADMIN):
        lines += [
            f"    # {user.login}: {user.why}",
            f"    {{user: {user.login}, password: ${user.env}, permissions: {{",
            f"      publish: {{allow: {_list(user.publish)}}},",
            f"      subscribe: {{allow: {_list(user.subscribe)}}}",
            "    }},",
        ]
    lines += ["  ]", "}", ""]
    return "\n".join(lines)
