"""The inventory's NATS subscribers: none yet.

It publishes InventoryChanged; its input is each cloud's own notification
bus (service.py), not NATS.
"""

from __future__ import annotations

from collections.abc import Callable

from faststream.nats import NatsRouter

from .service import InventoryService


def inventory_router(get: Callable[[], InventoryService]) -> NatsRouter:
    """An empty router, so the inventory runs like every other service."""
    return NatsRouter()
