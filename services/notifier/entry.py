"""The notifier as the runtime runs it: its subscribers and its resources."""

from __future__ import annotations

from ..platform.registry import Resources
from .handlers import notifier_router as router
from .service import Notifier
from .settings import NotifierSettings

__all__ = ["build", "router"]


def build(resources: Resources) -> Notifier:
    """The notifier's resources, from FOREWARN_* variables."""
    return Notifier(NotifierSettings(), resources.engine, resources.broker, metrics=resources.metrics)
