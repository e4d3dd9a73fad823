"""Confused deputies: a message that tells a service where to publish, or what it is.

With the production permissions and every service as its own user, a login that
may only write commands asks the scheduler to answer onto an event subject. The
scheduler answers only to inboxes, and a body of one event type never reads as
another, so no contact is told a window completed that is two days away.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from contextlib import suppress
from datetime import UTC, datetime, timedelta

import pytest
from nats.js.errors import NotFoundError

from forewarn.schemas import subjects
from forewarn.schemas.base import WindowState
from forewarn.schemas.commands import BookWindow, HostSelector
from forewarn.schemas.deadletters import DeadLettered
from forewarn.schemas.windows import WindowCancelled, WindowScheduled
from forewarn.services.bus.stream import FRONT_API
from forewarn.services.scheduler.lifecycle import window_id_for

from .conftest import Bus, as_user

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="package")]


@pytest.mark.parametrize("target", [subjects.COMPLETED, subjects.STARTED])
async def test_a_command_cannot_aim_the_schedulers_answer_at_an_event_subject(bus: Bus, target: str) -> None:
    before = Counter(bus.fleet.mail.handler.received)
    completed_before = await bus.stored(subjects.STREAM, target)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    command = BookWindow(
        command_id=f"deputy-{target.rsplit('.', 1)[-1]}",
        title="Kernel update",
        impact="OUTAGE",
        start=start,
        end=start + timedelta(hours=1),
        hosts=HostSelector(nodeset="sto1-cmp-[01-10]"),
        allow_overlap=True,
    )
    cli = await bus.login("cli")
    # A genuine booking, with FastStream's reply header pointing at an event subject.
    await cli.jetstream().publish(
        subjects.BOOK,
        command.model_dump_json().encode(),
        headers={"Nats-Msg-Id": command.command_id, "reply_to": target},
    )
    await cli.close()
    # The booking itself is honoured: every contact is invited, once.
    await bus.mails(window_id_for(command.command_id), kind="scheduled", sequence=1)
    await _handled(bus, "scheduler-book")
    assert await bus.stored(subjects.STREAM, target) == completed_before
    code, out, err = await bus.fleet.cli("show", window_id_for(command.command_id), "--json")
    assert code == 0, err
    assert json.loads(out)["status"] == "scheduled"
    # Nothing but the invitations reached anyone: no "completed" or "started" notice, no report.
    assert Counter(bus.fleet.mail.handler.received) - before == Counter(
        {(c, "scheduled", 1): 1 for c in bus.fleet.contacts}
    )


async def _handled(bus: Bus, consumer: str, timeout: float = 10) -> None:
    """Wait until the consumer holds nothing unacknowledged: its handler, answer included, is done."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (info := await bus.consumer(subjects.COMMAND_STREAM, consumer)).num_ack_pending or info.num_pending:
        assert loop.time() < deadline, info
        await asyncio.sleep(0.1)


async def test_a_forged_dead_letter_is_not_replayed(bus: Bus) -> None:
    """The notifier's login rewrites a stored booking as a cancellation and files it as its letter."""
    window_id = await bus.book()
    before = Counter(bus.fleet.mail.handler.received)
    cancelled_before = await bus.stored(subjects.STREAM, subjects.CANCELLED)
    notifier = await bus.login("notifier")
    js = notifier.jetstream()
    real = await js.get_last_msg(subjects.STREAM, subjects.SCHEDULED)  # MSG.GET on MAINT is the notifier's
    scheduled = WindowScheduled.model_validate_json(real.data)
    assert scheduled.window.id == window_id
    forged = WindowCancelled(
        window=scheduled.window.model_copy(update={"state": WindowState.CANCELLED, "revision": 2}),
        reason="vendor delay",
    )
    letters = {
        # A copy that says cancellation, pointing at the booking's place in MAINT.
        "forged": DeadLettered(
            id=f"{subjects.STREAM}.{real.seq}", subject=subjects.CANCELLED, consumer="notifier",
            reason="gave up after 12 deliveries: the handler failed every time (see its log)",
            stream=subjects.STREAM, stream_seq=real.seq, payload=forged.model_dump_json(),
        ),
        # A true copy, but of a message the notifier's consumer never reads.
        "not its own": DeadLettered(
            id=f"{subjects.STREAM}.{real.seq}", subject=subjects.SCHEDULED, consumer="notifier",
            reason="x", stream=subjects.STREAM, stream_seq=real.seq, payload=real.data.decode(),
        ),
    }  # fmt: skip
    admin = as_user("admin", bus.server.passwords)
    for name, letter in letters.items():
        await js.publish(subjects.dead_letter("notifier"), letter.model_dump_json().encode())
        code, out, err = await bus.fleet.cli("dlq", "list", "--json")
        assert code == 0 and any(lt == letter.model_dump(mode="json", exclude={"schema_version", "type"})
                                 for lt in json.loads(out)), name  # fmt: skip
        code, out, err = await bus.fleet.cli("dlq", "retry", letter.id, env=admin)
        assert code == 2, (name, out, err)
        expected = "differs from its original" if name == "forged" else "notifier does not read"
        assert expected in err and "Traceback" not in err, (name, err)
        await _remove_letters(bus)
    await notifier.close()
    assert await bus.stored(subjects.STREAM, subjects.CANCELLED) == cancelled_before
    assert Counter(bus.fleet.mail.handler.received) == before
    code, out, err = await bus.fleet.cli("show", window_id, "--json")
    assert code == 0 and json.loads(out)["status"] == "scheduled", err


async def _remove_letters(bus: Bus) -> None:
    """Clear the test's letters, as an operator would once they are reported."""
    nc = await bus.login("admin")
    try:
        await nc.jetstream().purge_stream(subjects.STREAM, subject=subjects.dead_letter("notifier"))
        front = nc.jetstream(prefix=FRONT_API)  # the view is the front account's
        await front.purge_stream(subjects.VIEW_STREAM, subject=subjects.dead_letter("notifier"))
    finally:
        await nc.close()


async def test_a_command_nested_too_deep_is_rejected_at_once(bus: Bus) -> None:
    """JSON 100,000 deep on a command subject: a dead letter with its reason on the first delivery."""
    cli = await bus.login("cli")
    ack = await cli.jetstream().publish(
        subjects.BOOK, b'{"a":' * 100_000 + b"1" + b"}" * 100_000, headers={"Nats-Msg-Id": "deep-json-1"}
    )
    await cli.close()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while True:
        code, out, err = await bus.fleet.cli("dlq", "list", "--json")
        assert code == 0, err
        mine = [lt for lt in json.loads(out) if lt["stream_seq"] == ack.seq and lt["stream"] == ack.stream]
        if mine:
            break
        assert loop.time() < deadline, "no dead letter"
        await asyncio.sleep(0.3)
    [letter] = mine
    assert letter["consumer"] == "scheduler-book" and "nested too deeply" in letter["reason"]
    info = await bus.consumer(subjects.COMMAND_STREAM, "scheduler-book")
    assert info.num_redelivered == 0 and info.num_ack_pending == 0
    await bus.book()  # and the next booking goes through


# Where a front login would like the server to publish for it: every lifecycle event, the
# impact, the creation of a consumer on MAINT, and another login's inbox.
AIMED_AT = (
    *(subjects.WINDOW_EVENTS.replace(">", kind) for kind in ("scheduled", "cancelled", "completed")),
    subjects.IMPACT_RESOLVED,
    f"$JS.API.CONSUMER.CREATE.{subjects.STREAM}",
    f"$JS.FOREWARN.API.CONSUMER.CREATE.{subjects.STREAM}",
    f"{subjects.inbox_prefix('forewarn-notifier')}.x",
)


@pytest.mark.parametrize("login", ["statuspage", "cli"])
async def test_what_a_front_login_makes_the_server_publish_stays_in_the_front(bus: Bus, login: str) -> None:
    """The server answers a JetStream request on the reply subject the asker names, and a push
    consumer delivers where its maker says, without checking either (docs/internals/security.md). The
    front's logins are in an account of their own, so neither reaches the services' streams."""
    window_id = await bus.book()
    before = Counter(bus.fleet.mail.handler.received)
    admin = await bus.login("admin")
    services = admin.jetstream()
    stored = (await services.stream_info(subjects.STREAM)).state.last_seq
    durables = await _durables(services)
    nc = await bus.login(login)
    for target in AIMED_AT:
        await nc.publish(f"$JS.API.STREAM.INFO.{subjects.VIEW_STREAM}", b"", reply=target)
        push = {
            "stream_name": subjects.VIEW_STREAM,
            "config": {"deliver_subject": target, "ack_policy": "none"},
        }
        made = await nc.request(
            f"$JS.API.CONSUMER.CREATE.{subjects.VIEW_STREAM}", json.dumps(push).encode(), timeout=5
        )
        assert "error" not in json.loads(made.data), made.data  # it may: in its own account
    await nc.flush()
    # Each push consumer has delivered every message of the view by the time a later message
    # is mirrored and delivered too: book again and wait for its invitations.
    await bus.book()
    assert not nc.refusals, nc.refusals
    await nc.close()
    # Only the second booking's own messages were stored since: one of each, no dead letter.
    since = [m.subject for m in await _stored_since(services, stored)]
    assert since.count(subjects.SCHEDULED) == since.count(subjects.IMPACT_RESOLVED) == 1, since
    assert not [s for s in since if s in AIMED_AT[1:3] or s.startswith("maint.dlq.")], since
    assert await _durables(services) == durables
    await admin.close()
    invited = Counter(bus.fleet.mail.handler.received) - before
    assert invited == Counter({(c, "scheduled", 1): 1 for c in bus.fleet.contacts}), invited
    code, out, err = await bus.fleet.cli("show", window_id, "--json")
    assert code == 0 and json.loads(out)["status"] == "scheduled", err


async def _stored_since(js, seq: int) -> list:
    """Every message MAINT stored after `seq`."""
    last = (await js.stream_info(subjects.STREAM)).state.last_seq
    found = []
    for n in range(seq + 1, last + 1):
        with suppress(NotFoundError):  # expired meanwhile
            found.append(await js.get_msg(subjects.STREAM, n))
    return found


async def _durables(js) -> set[str]:
    """The services' consumers on MAINT (the view's mirror keeps one of its own, renamed at will)."""
    return {c.name for c in await js.consumers_info(subjects.STREAM) if c.config.durable_name}
