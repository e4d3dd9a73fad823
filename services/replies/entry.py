"""The replies reader as the runtime runs it: its resources; it reads a mailbox and only publishes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from faststream.nats import NatsRouter

from ..platform.registry import Resources
from .service import RepliesReader
from .settings import RepliesSettings


def router(get: Callable[[], Any]) -> NatsRouter:
    """None: nothing on the bus is for the reader."""
    return NatsRouter()


def build(resources: Resources) -> RepliesReader:
    """The reader's resources, from FOREWARN_* variables."""
    return RepliesReader(RepliesSettings(), resources.engine, resources.broker, resources.metrics)
