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
from datetime import UTC, datetime, timedelta

import pytest

from forewarn.schemas import subjects
from forewarn.schemas.base import WindowState
from forewarn.schemas.commands import BookWindow, HostSelector
from forewarn.schemas.events import DeadLettered, WindowCancelled, WindowScheduled
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
    await bus.mails(before, kind="scheduled", sequence=1)
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
        js = nc.jetstream()
        await js.purge_stream(subjects.STREAM, subject=subjects.dead_letter("notifier"))
        await js.purge_stream(subjects.VIEW_STREAM, subject=subjects.dead_letter("notifier"))
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


async def test_the_server_made_to_answer_onto_an_event_subject_tells_nobody(bus: Bus) -> None:
    """The server answers a JetStream request where its reply subject says, and stores that if a
    stream captures it (docs/security.md, Known gaps). What lands is the server's own JSON, which
    no forewarn consumer takes for an event: a dead letter each, and no mail."""
    window_id = await bus.book()
    before = Counter(bus.fleet.mail.handler.received)
    cancelled = await bus.stored(subjects.STREAM, subjects.CANCELLED)
    page = await bus.login("statuspage")  # the login the internet reaches
    await page.publish(f"$JS.API.STREAM.INFO.{subjects.STREAM}", b"", reply=subjects.CANCELLED)
    await page.flush()
    await page.close()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while True:
        code, out, err = await bus.fleet.cli("dlq", "list", "--json")
        assert code == 0, err
        mine = [
            lt for lt in json.loads(out) if lt["subject"] == subjects.CANCELLED and "type" in lt["reason"]
        ]
        if mine:
            break
        assert loop.time() < deadline, "the server's answer was not rejected"
        await asyncio.sleep(0.3)
    assert await bus.stored(subjects.STREAM, subjects.CANCELLED) == cancelled + 1  # it was stored
    assert Counter(bus.fleet.mail.handler.received) == before
    code, out, err = await bus.fleet.cli("show", window_id, "--json")
    assert code == 0 and json.loads(out)["status"] == "scheduled", err
