"""Running services: one per process (`forewarn run`), or all in one (`forewarn up`)."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from contextlib import suppress

from faststream.nats import NatsBroker
from opentelemetry.sdk.trace import TracerProvider

from ..bus import jetstream, readiness
from ..bus.broker import build_broker, reachable, wait_for_streams
from ..bus.stream import declare_streams
from ..platform.config import CommonSettings, StartupError
from ..platform.db import create_db_engine
from ..platform.http import HttpServer
from ..platform.metrics import Metrics
from ..platform.names import SERVICES
from ..platform.registry import Resources, Service, entry
from ..platform.tracing import tracer_provider as tracer_provider_for
from ..privacy.files import private_folder
from . import migrate
from .health import ops_app, read_lag

log = logging.getLogger("forewarn")


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
        # Before each scrape, the lag of this process's consumers, as the server counts it now.
        self.metrics.refreshers.append(lambda: read_lag(self.metrics, list(self.brokers.values())))
        name = "+".join(self.names)
        self.tracer_provider = tracer_provider or tracer_provider_for(self.settings, name)
        self.brokers: dict[str, NatsBroker] = {}
        for service in self.names:
            broker = build_broker(
                self.settings, name=service, metrics=self.metrics, tracer_provider=self.tracer_provider
            )
            broker.include_router(entry(service).router(self._get(service)))
            self.brokers[service] = broker
        self.ops: HttpServer | None = None
        self.running: dict[str, Service] = {}

    def _get(self, name: str) -> Callable[[], Service]:
        return lambda: self.running[name]

    @property
    def broker(self) -> NatsBroker:
        """The first service's broker (the scheduler's, when it runs here)."""
        return self.brokers[self.names[0]]

    async def start(self) -> None:
        """Connect, build every service's resources, then start consuming."""
        if not self.settings.database_url:
            private_folder(self.settings.data_dir)  # it holds the store: every contact's address
        self.engine = create_db_engine(self.settings.db_url)
        await asyncio.to_thread(migrate.prepare, self.engine, auto_migrate=self.settings.migrates_at_start)
        for name in self.names:
            resources = Resources(self.engine, self.brokers[name], self.metrics)
            self.running[name] = entry(name).build(resources)
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
        self.ops = HttpServer(ops_app(self.brokers, self.metrics, self.settings.servers))
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
