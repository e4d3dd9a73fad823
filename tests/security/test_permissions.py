"""The whole permission model, held to docs/internals/security.md.

A nats-server runs with the configuration `forewarn nats-config` writes. For
every login, the test publishes on every subject forewarn uses, on every
JetStream API verb for every stream and for every consumer (each service's and
one that is nobody's), on every acknowledgement subject, and on the inboxes,
and subscribes to the event subjects and every login's inboxes. What the
server refuses is collected from its permission errors; everything else was
allowed. That must be exactly what the document's permissions block says.

The server has no streams: a JetStream request that gets through finds
nothing to act on, so probing changes nothing.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import nats
import pytest
import yaml

from forewarn.schemas import subjects
from forewarn.services.bus.accounts import ADMIN, CONSUMERS, FRONT_ACCOUNT, SERVICES_ACCOUNT, STREAMS, USERS
from forewarn.services.bus.stream import FRONT_API, SERVICES_API, VIEW_DELIVERY

from .conftest import NatsServer

pytestmark = pytest.mark.integration
DOC = Path(__file__).resolve().parents[2] / "docs" / "internals" / "security.md"
LOGINS = [user.login for user in (*USERS, ADMIN)]
ACCOUNTS = (SERVICES_ACCOUNT, FRONT_ACCOUNT)
ACCOUNT_OF = {user.login: user.account for user in (*USERS, ADMIN)}
NAMES = [name for by_stream in CONSUMERS.values() for names in by_stream.values() for name in names]
WINDOW = "mw-probe123"
VERBS_ON_STREAMS = ("CREATE", "UPDATE", "DELETE", "INFO", "PURGE", "MSG.GET", "MSG.DELETE", "SNAPSHOT")
VERBS_ON_CONSUMERS = ("CREATE", "DURABLE.CREATE", "DELETE", "INFO", "MSG.NEXT")
FAMILIES = ("cmd", "window", "impact", "notice", "reply", "report", "inventory", "timer", "due", "remind",
            "drift", "webhook", "dlq")  # fmt: skip


def documented() -> dict[str, dict[str, set[str]]]:
    """The permissions block of docs/internals/security.md, placeholders filled in, per login."""
    text = DOC.read_text()
    block = re.search(r"<!-- permissions:.*?-->\n```yaml\n(.*?)```", text, re.DOTALL)
    assert block, f"{DOC} has no permissions block"
    spec = yaml.safe_load(block.group(1))
    every = spec.pop("every login")
    by_account = {account: spec.pop(f"every {account} login") for account in ACCOUNTS}
    assert set(spec) == set(LOGINS), set(spec) ^ set(LOGINS)
    found = {}
    for login, rules in spec.items():
        assert rules["account"] == ACCOUNT_OF[login], f"{login} is in {ACCOUNT_OF[login]}"
        allowed: dict[str, set[str]] = {"publish": set(), "subscribe": set()}
        for kind in allowed:
            patterns = [
                *every.get(kind, []),
                *by_account[rules["account"]].get(kind, []),
                *rules.get(kind, []),
            ]
            for pattern in patterns:
                allowed[kind] |= _filled(pattern.replace("<login>", login))
        for stream, names in (rules.get("durables") or {}).items():
            for name in names:
                allowed["publish"] |= {
                    *(f"$JS.API.CONSUMER.{verb}.{stream}.{name}" for verb in ("CREATE", "DURABLE.CREATE")),
                    f"$JS.API.CONSUMER.CREATE.{stream}.{name}.>",
                    f"$JS.API.CONSUMER.INFO.{stream}.{name}",
                    f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{name}",
                    f"$JS.ACK.{stream}.{name}.>",
                    subjects.dead_letter(name),
                }
        found[login] = allowed
    return found


def _filled(pattern: str) -> set[str]:
    if "<stream but the view>" in pattern:
        return {pattern.replace("<stream but the view>", s) for s in STREAMS if s != subjects.VIEW_STREAM}
    if "<stream>" in pattern:
        return {pattern.replace("<stream>", s) for s in STREAMS}
    return {pattern}


def publish_probes() -> set[str]:
    """Every literal subject worth trying to publish on."""
    probes = {"$JS.API.INFO", "$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST", "$JS.FC.probe.1"}
    probes |= {f"$JS.FC.{stream}.probe.1" for stream in STREAMS}
    for stream in STREAMS:
        probes |= {f"$JS.API.STREAM.{verb}.{stream}" for verb in VERBS_ON_STREAMS}
        probes |= {f"$JS.API.DIRECT.GET.{stream}", f"$JS.API.CONSUMER.CREATE.{stream}"}
        probes |= {f"$JS.API.CONSUMER.{verb}.{stream}" for verb in ("LIST", "NAMES")}
        probes |= {f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{stream}.probe"}
        for name in [*NAMES, "nobodys"]:
            probes |= {f"$JS.API.CONSUMER.{verb}.{stream}.{name}" for verb in VERBS_ON_CONSUMERS}
            probes |= {f"$JS.API.CONSUMER.CREATE.{stream}.{name}.maint.impact.resolved"}
            probes |= {f"$JS.ACK.{stream}.{name}.1.1.1.1.0"}
    # The same once more as each account reaches the other's API.
    across = {
        probe.replace("$JS.API.", f"{api}.", 1) for probe in probes for api in (SERVICES_API, FRONT_API)
    }
    return probes | across | event_probes() | inbox_probes() | {f"{VIEW_DELIVERY}.probe"}


def event_probes() -> set[str]:
    """Every subject forewarn's messages travel on, one literal of each."""
    literal = {
        value
        for name, value in vars(subjects).items()
        if name.isupper() and isinstance(value, str) and value.startswith("maint.") and "*" not in value
        and ">" not in value
    }  # fmt: skip
    return literal | {
        subjects.timer(WINDOW, "start"), subjects.timer(WINDOW, "end"), subjects.due(WINDOW, "start"),
        subjects.reminder_timer(WINDOW, 3600, 1), subjects.reminder_due(WINDOW, 3600, 1),
        subjects.drift_timer(WINDOW), subjects.drift_due(WINDOW), subjects.webhook("ep_probe"),
        "maint.dlq.inventory-sto", "maint.dlq.nobodys", "maint.probe",
        # One more in each family, so that a pattern wider than the family's subjects shows.
        *(f"maint.{family}.probe" for family in FAMILIES),
        *(subjects.dead_letter(name) for name in NAMES),
    }  # fmt: skip


def inbox_probes() -> set[str]:
    return {"_INBOX.probe", *(f"{subjects.inbox_prefix(login)}.probe" for login in LOGINS)}


def subscribe_probes() -> set[str]:
    """The event subjects, every login's inboxes, and the wildcards a spy would try."""
    return event_probes() | inbox_probes() | {">", "maint.>", "_INBOX.>", f"{VIEW_DELIVERY}.>"}


def allowed_by(patterns: set[str], subject: str) -> bool:
    return any(subjects.matches(pattern, subject) for pattern in patterns)


async def server_allows(server: NatsServer, login: str) -> dict[str, set[str]]:
    """What the server lets this login publish and subscribe to, of the probes."""
    refused: list[str] = []

    async def note(error: Exception) -> None:
        refused.append(str(error))

    password = server.passwords[login.removeprefix("forewarn-")]
    nc = await nats.connect(server.url, user=login, password=password, error_cb=note, allow_reconnect=False)
    try:
        sent = sorted(publish_probes())
        for subject in sent:
            await nc.publish(subject, b"")
        heard = sorted(subscribe_probes())
        for subject in heard:
            await nc.subscribe(subject)
        await nc.flush()
        await asyncio.sleep(0.5)  # the server's -ERR for each arrives on its own
    finally:
        await nc.close()
    said = " ".join(refused).lower()
    return {
        "publish": {s for s in sent if f'publish to "{s.lower()}"' not in said},
        "subscribe": {s for s in heard if f'subscription to "{s.lower()}"' not in said},
    }


async def test_every_login_may_do_exactly_what_the_security_document_says(server: NatsServer) -> None:
    spec = documented()
    wrong = []
    for login in LOGINS:
        allowed = await server_allows(server, login)
        for kind, probes in (("publish", publish_probes()), ("subscribe", subscribe_probes())):
            for subject in sorted(probes):
                says, does = allowed_by(spec[login][kind], subject), subject in allowed[kind]
                if says != does:
                    wrong.append(f"{login} {kind} {subject}: the document says {says}, the server {does}")
    assert not wrong, "\n".join(wrong[:40]) + f"\n({len(wrong)} in all)"
