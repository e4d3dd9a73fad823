"""Durable timers: JetStream message schedules, set and cleared the same way by every owner.

A message published to a timer subject with `Nats-Schedule: @at …` is stored
by the server on its target subject at that time, even while its owner is
down. Publishing again to the same timer subject replaces the schedule;
purging the subject cancels it. A schedule can only fire onto a subject of its
own stream, so each owner keeps its timers in a stream of its own.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta

from faststream.nats import NatsBroker, Schedule
from nats.js.errors import NotFoundError

from .jetstream import context
from .publish import Outgoing, publish


async def set_timer(broker: NatsBroker, out: Outgoing, *, at: datetime, target: str, timeout: float) -> None:
    """Schedule `out`'s body onto `target` at `at`, replacing the timer subject's earlier schedule.

    Schedules have one-second granularity: the time is rounded up, so a timer never fires early.
    """
    fire_at = at.replace(microsecond=0) + (timedelta(seconds=1) if at.microsecond else timedelta(0))
    await publish(broker, out, timeout=timeout, schedule=Schedule(fire_at, target))


async def clear_timers(broker: NatsBroker, stream: str, timer_subject: str) -> None:
    """Cancel every schedule on a timer subject of a stream (wildcards allowed)."""
    with suppress(NotFoundError):
        await context(broker).purge_stream(stream, subject=timer_subject)
