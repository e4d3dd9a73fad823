"""A broker carrying every service's subscribers and publishers, for the AsyncAPI document."""

from __future__ import annotations

from faststream.nats import NatsBroker
from forewarn.schemas import subjects
from forewarn.schemas.events import (
    DeadLettered,
    ImpactResolved,
    WindowCancelled,
    WindowCompleted,
    WindowExtended,
    WindowRejected,
    WindowRescheduled,
    WindowScheduled,
    WindowStarted,
)

from .impact.app import impact_router
from .scheduler.app import scheduler_router

PUBLISHED = {
    subjects.SCHEDULED: (WindowScheduled, "scheduler"),
    subjects.REJECTED: (WindowRejected, "scheduler"),
    subjects.RESCHEDULED: (WindowRescheduled, "scheduler"),
    subjects.EXTENDED: (WindowExtended, "scheduler"),
    subjects.STARTED: (WindowStarted, "scheduler"),
    subjects.COMPLETED: (WindowCompleted, "scheduler"),
    subjects.CANCELLED: (WindowCancelled, "scheduler"),
    subjects.IMPACT_RESOLVED: (ImpactResolved, "impact"),
    f"{subjects.DEAD_LETTER_PREFIX}.*": (DeadLettered, "any consumer"),
}


def documented_broker() -> NatsBroker:
    """Never connected: it only describes the system."""
    broker = NatsBroker()

    def unavailable():
        raise RuntimeError("documentation broker: no service is running")

    broker.include_router(scheduler_router(unavailable))
    broker.include_router(impact_router(unavailable))
    for subject, (model, who) in PUBLISHED.items():
        broker.publisher(
            subject, schema=model, title=f"{model.__name__}", description=f"Published by the {who}."
        )
    return broker
