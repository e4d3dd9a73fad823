"""The inventory as the runtime runs it: its subscribers and its resources."""

from __future__ import annotations

from ..platform.registry import Resources
from .handlers import inventory_router as router
from .service import InventoryService
from .settings import InventorySettings

__all__ = ["build", "router"]


def build(resources: Resources) -> InventoryService:
    """The inventory's resources, from FOREWARN_* variables."""
    return InventoryService(
        InventorySettings(), resources.engine, resources.broker, metrics=resources.metrics
    )
