"""What the runtime asks of a service, and where it finds each one.

Every service has one `entry.py` beside its package's other modules: its NATS
subscribers (`router`) and its resources built from the process's (`build`).
The runtime imports a service's entry only when it runs that service, so a
status page of its own starts without OpenStack's SDK, the mail side or Babel,
which take most of a second to import.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, cast

from faststream.nats import NatsBroker, NatsRouter
from sqlalchemy import Engine

from .metrics import Metrics
from .names import SERVICES


class Service(Protocol):
    """A running service: built at start-up, started once its brokers consume, closed at the end."""

    async def start(self) -> None:
        """Begin the work that is no subscription (timers set again, a web server); most have none."""

    async def close(self) -> None:
        """Let go of what the service opened: connections, pools, servers."""


@dataclass(frozen=True)
class Resources:
    """What one process shares with each service it runs."""

    engine: Engine
    broker: NatsBroker  # the service's own, and so its own NATS login
    metrics: Metrics


class Entry(Protocol):
    """A service's `entry.py`."""

    def router(self, get: Callable[[], Any]) -> NatsRouter:
        """The service's subscribers; `get` returns the built service once it is running."""
        ...

    def build(self, resources: Resources) -> Service:
        """The service, with its own Settings class read from the environment."""
        ...


def entry(name: str) -> Entry:
    """The entry of one of SERVICES."""
    if name not in SERVICES:
        raise ValueError(f"{name!r} is not one of {', '.join(SERVICES)}")
    return cast(Entry, importlib.import_module(f"forewarn.services.{name}.entry"))
