"""Building the broker every service and the CLI connect with."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from faststream.nats import NatsBroker, NatsUserPassword
from nats.js.errors import NotFoundError
from prometheus_client import CollectorRegistry

from forewarn.schemas import subjects

from ..config import CommonSettings, StartupError
from .metrics import metrics_middleware
from .reliability import Reliability

log = logging.getLogger("forewarn.bus")


def build_broker(
    settings: CommonSettings,
    *,
    name: str,
    reliable: bool = True,
    metrics: CollectorRegistry | None = None,
    **options: Any,
) -> NatsBroker:
    """A broker for one process; by default it reconnects forever, so a NATS restart heals itself.

    With a metrics registry, every message consumed and published is counted and timed in it.
    """
    security = None
    if settings.nats_user and settings.nats_password:
        security = NatsUserPassword(settings.nats_user, settings.nats_password.get_secret_value())
    options = {"max_reconnect_attempts": -1, "reconnect_time_wait": 1} | options
    return NatsBroker(
        settings.servers,
        name=f"forewarn-{name}",
        security=security,
        **options,
        middlewares=[
            *([metrics_middleware(metrics)] if metrics else []),
            *([Reliability] if reliable else []),
        ],
        logger=logging.getLogger(f"forewarn.{name}"),
        # Per-message "Received"/"Processed" lines only at debug level.
        log_level=logging.DEBUG,
    )


async def wait_for_stream(broker: NatsBroker, *, timeout: float = 120.0) -> None:
    """Wait until the scheduler has declared the stream; other services never declare it."""
    js = broker.config.connection_state.stream
    deadline = asyncio.get_running_loop().time() + timeout
    announced = False
    while True:
        try:
            await js.stream_info(subjects.STREAM)
            return
        except NotFoundError:
            if not announced:
                log.info("waiting for stream %s (the scheduler creates it)", subjects.STREAM)
                announced = True
            if asyncio.get_running_loop().time() > deadline:
                raise StartupError(f"stream {subjects.STREAM} does not exist: start the scheduler") from None
            await asyncio.sleep(0.5)
