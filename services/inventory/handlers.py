"""The inventory's NATS subscribers: windows starting and ending, for FOREWARN_OPENSTACK_DISABLE_HOSTS.

Its other input is each cloud's own notification bus (service.py), not NATS.
"""

from __future__ import annotations

from collections.abc import Callable

from faststream.nats import NatsRouter

from forewarn.schemas import subjects
from forewarn.schemas.windows import WindowCancelled, WindowCompleted, WindowStarted

from ..bus.stream import durable
from .service import InventoryService


def inventory_router(get: Callable[[], InventoryService]) -> NatsRouter:
    """Subscribers that keep new servers off a window's hosts while it runs."""
    router = NatsRouter()
    stream = subjects.STREAM

    @router.subscriber(subjects.STARTED, **durable("inventory-started", stream))
    async def disable_hosts(event: WindowStarted) -> None:
        await get().on_started(event.window)

    @router.subscriber(subjects.COMPLETED, **durable("inventory-completed", stream))
    async def enable_hosts_when_completed(event: WindowCompleted) -> None:
        await get().on_ended(event.window)

    @router.subscriber(subjects.CANCELLED, **durable("inventory-cancelled", stream))
    async def enable_hosts_when_cancelled(event: WindowCancelled) -> None:
        await get().on_ended(event.window)

    return router
