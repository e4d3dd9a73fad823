"""A broker carrying every service's subscribers and publishers, for the AsyncAPI document."""

from __future__ import annotations

from faststream.nats import NatsBroker

from forewarn.schemas.catalog import OTHERS, WINDOW_EVENTS
from forewarn.schemas.timers import WindowDue

from ..impact.handlers import impact_router
from ..inventory.handlers import inventory_router
from ..notifier.handlers import notifier_router
from ..reporter.handlers import reporter_router
from ..scheduler.handlers import scheduler_router
from ..statuspage.handlers import document_status_page


def documented_broker() -> NatsBroker:
    """Never connected: it only describes the system."""
    broker = NatsBroker()

    def unavailable():
        raise RuntimeError("documentation broker: no service is running")

    broker.include_router(scheduler_router(unavailable))
    broker.include_router(impact_router(unavailable))
    broker.include_router(notifier_router(unavailable))
    broker.include_router(reporter_router(unavailable))
    document_status_page(broker)
    broker.include_router(inventory_router(unavailable))
    published = WINDOW_EVENTS | {m: s for m, s in OTHERS.items() if m is not WindowDue}  # timers: server-made
    for model, subject in published.items():
        broker.publisher(
            subject, schema=model, title=model.__name__, description=(model.__doc__ or "").strip()
        )
    return broker
