"""The status page as the runtime runs it: its resources; it follows the view itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from faststream.nats import NatsRouter

from ..platform.registry import Resources
from .service import StatusPage
from .settings import StatusSettings


def router(get: Callable[[], Any]) -> NatsRouter:
    """None: the page follows the view stream from its own start (StatusPage.follow)."""
    return NatsRouter()


def build(resources: Resources) -> StatusPage:
    """The status page's resources, from FOREWARN_* variables."""
    return StatusPage(StatusSettings(), resources.engine, resources.broker, resources.metrics)
