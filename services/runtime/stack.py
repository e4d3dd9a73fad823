"""Running services: one per process (`forewarn run`), or all in one (`forewarn up`)."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from faststream.nats import NatsBroker, NatsRouter
from opentelemetry.sdk.trace import TracerProvider

from ..bus import jetstream, readiness
from ..bus.broker import build_broker, reachable, wait_for_streams
from ..bus.stream import declare_streams
from ..privacy.files import private_folder
from . import migrate
from .config import CommonSettings, StartupError
from .db import create_db_engine
from .names import SERVICES
from .ops import HttpServer, Metrics, ops_app
from .tracing import tracer_provider as tracer_provider_for

log = logging.getLogger("forewarn")

# Services in start order: the scheduler first, since it declares the streams.


class Stack:
    """The services of one process, each with its own broker and so its own NATS login."""

    def __init__(self, names: list[str], *, tracer_provider: TracerProvider | None = None) -> None:
        unknown = [n for n in names if n not in SERVICES]
        if unknown:
            raise ValueError(
                f"service(s) {', '.join(unknown)} not available; choose from {', '.join(SERVICES)}"
            )
        self.names = [n for n in SERVICES if n in names]
        self.settings = CommonSettings()
        # One set of instruments per process: what its /metrics show.
        self.metrics = Metrics()
        name = "+".join(self.names)
        self.tracer_provider = tracer_provider or tracer_provider_for(self.settings, name)
        self.brokers: dict[str, NatsBroker] = {}
        for service in self.names:
            broker = build_broker(
                self.settings, name=service, metrics=self.metrics, tracer_provider=self.tracer_provider
            )
            broker.include_router(self._router(service))
            self.brokers[service] = broker
        self.ops: HttpServer | None = None
        self.running: dict[str, Any] = {}

    @property
    def broker(self) -> NatsBroker:
        """The first service's broker (the scheduler's, when it runs here)."""
        return self.brokers[self.names[0]]

    def _get(self, name: str) -> Callable[[], Any]:
        return lambda: self.running[name]

    # Each service's modules are imported only when it runs in this process: a
    # status page of its own starts without OpenStack's SDK, the mail side or
    # Babel, which take most of a second to import.

    def _router(self, name: str) -> NatsRouter:
        get = self._get(name)
        if name == "scheduler":
            from ..scheduler.handlers import scheduler_router

            return scheduler_router(get)
        if name == "impact":
            from ..impact.handlers import impact_router

            return impact_router(get)
        if name == "notifier":
            from ..notifier.handlers import notifier_router

            return notifier_router(get)
        if name == "reporter":
            from ..reporter.handlers import reporter_router

            return reporter_router(get)
        if name == "inventory":
            from ..inventory.handlers import inventory_router

            return inventory_router(get)
        # The status page follows the view itself (StatusPage.follow); the replies reader
        # reads a mailbox and only publishes.
        return NatsRouter()

    def _build(self, name: str) -> Any:
        """A service's resources, with its own settings class."""
        broker = self.brokers[name]
        if name == "scheduler":
            from ..scheduler.service import Scheduler
            from ..scheduler.settings import SchedulerSettings

            return Scheduler(SchedulerSettings(), self.engine, broker)
        if name == "impact":
            from ..impact.service import ImpactResolver
            from ..impact.settings import ImpactSettings

            return ImpactResolver(ImpactSettings(), self.engine, broker)
        if name == "reporter":
            from ..reporter.service import Reporter
            from ..reporter.settings import ReporterSettings

            return Reporter(ReporterSettings(), self.engine, broker, metrics=self.metrics)
        if name == "statuspage":
            from ..statuspage.service import StatusPage
            from ..statuspage.settings import StatusSettings

            return StatusPage(StatusSettings(), self.engine, broker, self.metrics)
        if name == "replies":
            from ..replies.service import RepliesReader
            from ..replies.settings import RepliesSettings

            return RepliesReader(RepliesSettings(), self.engine, broker, self.metrics)
        if name == "inventory":
            from ..inventory.service import InventoryService
            from ..inventory.settings import InventorySettings

            return InventoryService(InventorySettings(), self.engine, broker, metrics=self.metrics)
        from ..notifier.service import Notifier
        from ..notifier.settings import NotifierSettings

        return Notifier(NotifierSettings(), self.engine, broker, metrics=self.metrics)

    async def start(self) -> None:
        """Connect, build every service's resources, then start consuming."""
        if not self.settings.database_url:
            private_folder(self.settings.data_dir)  # it holds the store: every contact's address
        self.engine = create_db_engine(self.settings.db_url)
        await asyncio.to_thread(migrate.prepare, self.engine, auto_migrate=self.settings.migrates_at_start)
        for name in self.names:
            self.running[name] = self._build(name)
        try:
            log.info(
                "connecting to NATS at %s (for up to %gs)",
                self.settings.shown_servers,
                self.settings.nats_connect_timeout,
            )
            await self._connect()
            if self.settings.metrics_port is not None:
                # Live from here on; ready (/health/ready) once the streams and consumers exist.
                await self._serve_ops()
            if "scheduler" in self.names:
                s = self.settings
                await declare_streams(
                    jetstream.context(self.broker),
                    await jetstream.view_context(self.broker),
                    replicas=s.stream_replicas,
                    max_bytes=s.stream_max_bytes,
                )
            else:
                for service, broker in self.brokers.items():
                    await wait_for_streams(jetstream.context(broker), readiness.last_stream_of(service))
            for broker in self.brokers.values():
                await broker.start()
            for service in self.running.values():
                if hasattr(service, "start"):
                    await service.start()
        except BaseException:
            await self.stop()
            raise
        log.info("running %s on %s", ", ".join(self.names), self.settings.shown_servers)

    async def _connect(self) -> None:
        """Connect every broker, trying for FOREWARN_NATS_CONNECT_TIMEOUT; then say where it tried."""
        limit = self.settings.nats_connect_timeout
        try:
            # Wait for the server ourselves first: a SIGTERM cancels this at once, while
            # nats-py's own connection loop can lose a cancellation that meets a refusal.
            await reachable(self.settings.servers, timeout=limit)
            async with asyncio.timeout(limit):
                for broker in self.brokers.values():
                    await broker.connect()
        except (TimeoutError, OSError) as exc:
            why = f"no connection within {limit:g}s" if isinstance(exc, TimeoutError) else str(exc)
            raise StartupError(
                f"cannot reach NATS at {self.settings.shown_servers} ({why}): "
                "check FOREWARN_NATS_URL, or raise FOREWARN_NATS_CONNECT_TIMEOUT"
            ) from None

    async def _serve_ops(self) -> None:
        self.ops = HttpServer(ops_app(self.brokers, self.metrics))
        await self.ops.start(
            self.settings.metrics_host,
            self.settings.metrics_port or 0,
            what="/metrics",
            variables="FOREWARN_METRICS_HOST or FOREWARN_METRICS_PORT",
        )
        log.info("metrics and health on %s/metrics and %s/health", self.ops.address, self.ops.address)

    async def stop(self) -> None:
        """Stop consuming and close connections; unacked messages will be redelivered."""
        if self.ops:
            await self.ops.close()
        for broker in self.brokers.values():
            with suppress(Exception):
                await broker.stop()
        for service in self.running.values():
            if hasattr(service, "close"):
                await service.close()
        self.engine.dispose()
        if self.tracer_provider:
            self.tracer_provider.shutdown()  # sends the spans still buffered


async def serve(names: list[str], *, ready: Callable[[Stack], None] | None = None) -> None:
    """Run services until SIGINT or SIGTERM."""
    stack = Stack(names)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    # A signal while starting (NATS not there yet, say) stops the start too.
    starting = asyncio.create_task(stack.start())
    stop = asyncio.create_task(stopping.wait())
    await asyncio.wait((starting, stop), return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():
        starting.cancel()
        with suppress(asyncio.CancelledError):
            await starting
        log.info("stopped while starting")
        return
    stop.cancel()
    starting.result()  # raises what stopped the start
    if ready:
        ready(stack)
    try:
        await stopping.wait()
    finally:
        log.info("stopping %s", ", ".join(stack.names))
        await stack.stop()
