"""The scheduler as the runtime runs it: its subscribers and its resources."""

from __future__ import annotations

from ..platform.registry import Resources
from .handlers import scheduler_router as router
from .service import Scheduler
from .settings import SchedulerSettings

__all__ = ["build", "router"]


def build(resources: Resources) -> Scheduler:
    """The scheduler's resources, from FOREWARN_* variables."""
    return Scheduler(SchedulerSettings(), resources.engine, resources.broker)
