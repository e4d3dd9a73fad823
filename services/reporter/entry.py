"""The reporter as the runtime runs it: its subscribers and its resources."""

from __future__ import annotations

from ..platform.registry import Resources
from .handlers import reporter_router as router
from .service import Reporter
from .settings import ReporterSettings

__all__ = ["build", "router"]


def build(resources: Resources) -> Reporter:
    """The reporter's resources, from FOREWARN_* variables."""
    return Reporter(ReporterSettings(), resources.engine, resources.broker, metrics=resources.metrics)
