"""The impact resolver's subscribers."""

from __future__ import annotations

from collections.abc import Callable

from faststream.nats import NatsRouter

from forewarn.schemas import subjects
from forewarn.schemas.impact import ImpactCause
from forewarn.schemas.inventory import InventoryChanged
from forewarn.schemas.timers import DriftCheckDue
from forewarn.schemas.windows import (
    WindowCancelled,
    WindowCompleted,
    WindowExtended,
    WindowProgressed,
    WindowRescheduled,
    WindowScheduled,
    WindowStarted,
)

from ..bus.stream import durable
from .service import ImpactResolver


def impact_router(get: Callable[[], ImpactResolver], *, workers: int = 1) -> NatsRouter:
    """Subscribers for the window changes that need their impact resolved."""
    router = NatsRouter()
    stream = subjects.STREAM

    @router.subscriber(subjects.SCHEDULED, **durable("impact-scheduled", stream, workers=workers))
    async def resolve_scheduled(event: WindowScheduled) -> None:
        await get().resolve(event.window, ImpactCause.SCHEDULED)

    @router.subscriber(subjects.RESCHEDULED, **durable("impact-rescheduled", stream, workers=workers))
    async def resolve_rescheduled(event: WindowRescheduled) -> None:
        await get().resolve(event.window, ImpactCause.RESCHEDULED)

    @router.subscriber(subjects.EXTENDED, **durable("impact-extended", stream, workers=workers))
    async def resolve_extended(event: WindowExtended) -> None:
        await get().resolve(event.window, ImpactCause.EXTENDED)

    @router.subscriber(subjects.CANCELLED, **durable("impact-cancelled", stream, workers=workers))
    async def resolve_cancelled(event: WindowCancelled) -> None:
        await get().resolve(event.window, ImpactCause.CANCELLED)

    # Who was hit when the work began and ended: for "started" notices and the completion report.
    @router.subscriber(subjects.STARTED, **durable("impact-started", stream, workers=workers))
    async def resolve_started(event: WindowStarted) -> None:
        await get().resolve(event.window, ImpactCause.STARTED)

    @router.subscriber(subjects.COMPLETED, **durable("impact-completed", stream, workers=workers))
    async def resolve_completed(event: WindowCompleted) -> None:
        await get().resolve(event.window, ImpactCause.COMPLETED)

    # A rolling window's hosts began or were done: who is cleared, whose slot moved.
    @router.subscriber(subjects.PROGRESSED, **durable("impact-progressed", stream, workers=workers))
    async def resolve_progressed(event: WindowProgressed) -> None:
        await get().resolve(event.window, ImpactCause.PROGRESSED)

    # The inventory changed under scheduled windows: who joined or left them.
    @router.subscriber(subjects.INVENTORY_CHANGED, **durable("impact-drift", stream, workers=workers))
    async def watch_for_drift(event: InventoryChanged) -> None:
        await get().watch(event)

    # One check at a time: two of one window at once would both claim its next drift number.
    @router.subscriber(subjects.DRIFT_DUE, **durable("impact-drift-due", subjects.DRIFT_STREAM))
    async def tell_who_drifted(due: DriftCheckDue) -> None:
        await get().check(due)

    return router
