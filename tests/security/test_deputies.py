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
from forewarn.schemas.commands import BookWindow, HostSelector
from forewarn.services.scheduler.lifecycle import window_id_for

from .conftest import Bus

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
