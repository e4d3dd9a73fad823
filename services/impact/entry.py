"""The impact resolver as the runtime runs it: its subscribers and its resources."""

from __future__ import annotations

from ..platform.registry import Resources
from .handlers import impact_router as router
from .service import ImpactResolver
from .settings import ImpactSettings

__all__ = ["build", "router"]


def build(resources: Resources) -> ImpactResolver:
    """The impact's resources, from FOREWARN_* variables."""
    return ImpactResolver(ImpactSettings(), resources.engine, resources.broker)
