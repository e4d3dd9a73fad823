"""The scheduler's subscribers: thin handlers over Scheduler."""

from __future__ import annotations

from collections.abc import Callable

from faststream.nats import NatsRouter

from forewarn.schemas import subjects
from forewarn.schemas.commands import (
    BookWindow,
    CancelWindow,
    ChangeSeries,
    CompleteWindow,
    ExtendWindow,
    ReportProgress,
    RescheduleWindow,
)
from forewarn.schemas.timers import WindowDue

from ..bus.deadletters import MaxDeliveries
from ..bus.stream import durable
from .service import Scheduler


def scheduler_router(get: Callable[[], Scheduler]) -> NatsRouter:
    """Subscribers for commands and timers; `get()` returns the running Scheduler."""
    router = NatsRouter()
    commands = subjects.COMMAND_STREAM

    @router.subscriber(subjects.BOOK, **durable("scheduler-book", commands), title="BookWindow")
    async def book_window(cmd: BookWindow) -> bytes:
        return await get().obey(cmd)

    @router.subscriber(
        subjects.RESCHEDULE, **durable("scheduler-reschedule", commands), title="RescheduleWindow"
    )
    async def reschedule_window(cmd: RescheduleWindow) -> bytes:
        return await get().obey(cmd)

    @router.subscriber(subjects.EXTEND, **durable("scheduler-extend", commands), title="ExtendWindow")
    async def extend_window(cmd: ExtendWindow) -> bytes:
        return await get().obey(cmd)

    @router.subscriber(subjects.CANCEL, **durable("scheduler-cancel", commands), title="CancelWindow")
    async def cancel_window(cmd: CancelWindow) -> bytes:
        return await get().obey(cmd)

    @router.subscriber(subjects.COMPLETE, **durable("scheduler-complete", commands), title="CompleteWindow")
    async def complete_window(cmd: CompleteWindow) -> bytes:
        return await get().obey(cmd)

    @router.subscriber(subjects.PROGRESS, **durable("scheduler-progress", commands), title="ReportProgress")
    async def record_progress(cmd: ReportProgress) -> bytes:
        return await get().obey(cmd)

    @router.subscriber(subjects.SERIES, **durable("scheduler-series", commands), title="ChangeSeries")
    async def change_series(cmd: ChangeSeries) -> bytes:
        return await get().obey(cmd)

    @router.subscriber(subjects.DUE, **durable("scheduler-due", subjects.TIMER_STREAM), title="WindowDue")
    async def start_or_end_window(due: WindowDue) -> None:
        await get().fire(due)

    @router.subscriber(
        subjects.MAX_DELIVERIES, **durable("scheduler-dead-letters", subjects.STREAM), title="MaxDeliveries"
    )
    async def record_dead_letter(advisory: MaxDeliveries) -> None:
        await get().bury(advisory)

    return router
