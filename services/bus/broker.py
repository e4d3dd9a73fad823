"""Building the broker every service and the CLI connect with."""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import Any
from urllib.parse import urlsplit

from faststream.nats import NatsBroker, NatsUserPassword
from faststream.nats.opentelemetry import NatsTelemetryMiddleware
from faststream.security import BaseSecurity
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError
from opentelemetry.sdk.trace import TracerProvider

from forewarn.schemas import subjects

from ..platform.config import CommonSettings, StartupError
from ..platform.metrics import Metrics
from .embedded import passwords
from .inboxes import AnswerOnlyToInboxes
from .metrics import metrics_middleware
from .publish import id_key
from .reliability import Reliability

log = logging.getLogger("forewarn.bus")
# The port a NATS URL without one means.
NATS_PORT = 4222


def build_broker(
    settings: CommonSettings,
    *,
    name: str,
    reliable: bool = True,
    metrics: Metrics | None = None,
    tracer_provider: TracerProvider | None = None,
    login: str | None = None,
    **options: Any,
) -> NatsBroker:
    """A broker for one process; by default it reconnects forever, so a NATS restart heals itself.

    With metrics, every message consumed and published is counted and timed in them, and
    the reliability middleware counts redeliveries and dead letters there. With a tracer
    provider, every message gets a span, and its trace continues in the messages it causes.
    It logs in as FOREWARN_NATS_USER, or on the embedded server as forewarn-<login>
    (by default, the name).
    """
    security = None
    tls = tls_context(settings)
    options = {"max_reconnect_attempts": -1, "reconnect_time_wait": 1} | options
    if user := credentials(settings, login or name):
        security = NatsUserPassword(*user, ssl_context=tls, use_ssl=bool(tls))
        # Its own inboxes, which no other login may read: deliveries and answers come there.
        options.setdefault("inbox_prefix", subjects.inbox_prefix(user[0]))
    elif tls:
        security = BaseSecurity(ssl_context=tls, use_ssl=True)
    broker = NatsBroker(
        settings.servers,
        name=f"forewarn-{name}",
        security=security,
        **options,
        middlewares=[
            # Outermost, so that a message's span holds its retries and dead-lettering.
            *([NatsTelemetryMiddleware(tracer_provider=tracer_provider)] if tracer_provider else []),
            *([metrics_middleware(metrics.registry)] if metrics else []),
            *([Reliability] if reliable else []),
            # Whatever a message asks, an answer goes only to an inbox.
            AnswerOnlyToInboxes,
        ],
        logger=logging.getLogger(f"forewarn.{name}"),
        # Per-message "Received"/"Processed" lines only at debug level.
        log_level=logging.DEBUG,
    )
    broker.context.set_global("metrics", metrics)
    # Message ids carry a tag keyed by this login's password: no other login can claim one.
    broker.context.set_global("id_key", id_key(user[1]) if user else None)
    return broker


def credentials(settings: CommonSettings, login: str) -> tuple[str, str] | None:
    """The user and password to log in with, if any."""
    if settings.nats_user and settings.nats_password:
        return settings.nats_user, settings.nats_password.get_secret_value()
    if not settings.nats_url and (password := passwords(settings.data_dir).get(login)):
        return f"forewarn-{login}", password
    return None


def tls_context(settings: CommonSettings) -> ssl.SSLContext | None:
    """TLS to NATS when a CA is configured: the server's name and chain are verified."""
    if not settings.nats_ca_file:
        return None
    context = ssl.create_default_context(cafile=str(settings.nats_ca_file))
    if settings.nats_cert_file:
        context.load_cert_chain(
            str(settings.nats_cert_file), str(settings.nats_key_file or settings.nats_cert_file)
        )
    return context


async def wait_for_streams(
    js: JetStreamContext, last: str = subjects.VIEW_STREAM, *, timeout: float = 120.0
) -> None:
    """Wait until the scheduler has declared the streams; other services never declare them.

    `last`: the last stream the scheduler declares of those this login sees
    (readiness.last_stream_of); once it exists, every one before it does.
    """
    deadline = asyncio.get_running_loop().time() + timeout
    announced = False
    while True:
        try:
            await js.stream_info(last)
            return
        except NotFoundError:
            if not announced:
                log.info("waiting for stream %s (the scheduler creates it)", last)
                announced = True
            if asyncio.get_running_loop().time() > deadline:
                raise StartupError(f"stream {last} does not exist: start the scheduler") from None
            await asyncio.sleep(0.5)


async def reachable(servers: list[str], *, timeout: float) -> None:
    """Wait until one of the NATS servers accepts a TCP connection; TimeoutError after `timeout`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        for url in servers:
            parts = urlsplit(url if "://" in url else f"nats://{url}")
            try:
                async with asyncio.timeout(2):
                    _, writer = await asyncio.open_connection(parts.hostname, parts.port or NATS_PORT)
            except (OSError, TimeoutError):
                continue
            writer.close()
            return
        if loop.time() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.5)
