"""Running services: one per process (`forewarn run`), or all in one (`forewarn up`)."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from faststream.nats import NatsBroker, NatsRouter
from prometheus_client import CollectorRegistry

from . import migrate
from .bus.broker import build_broker, wait_for_stream
from .config import CommonSettings
from .db import create_db_engine
from .impact.app import impact_router
from .impact.service import ImpactResolver, ImpactSettings
from .notifier.app import notifier_router
from .notifier.service import Notifier
from .notifier.settings import NotifierSettings
from .reporter.app import reporter_router
from .reporter.service import Reporter
from .reporter.settings import ReporterSettings
from .scheduler.app import scheduler_router
from .scheduler.service import Scheduler
from .scheduler.settings import SchedulerSettings
from .statuspage.app import statuspage_router
from .statuspage.service import StatusPage
from .statuspage.settings import StatusSettings

log = logging.getLogger("forewarn")

# Services in start order: the scheduler first, since it declares the stream.
SERVICES = ("scheduler", "impact", "notifier", "reporter", "statuspage")


class Stack:
    """The services of one process sharing one broker, built at start-up."""

    def __init__(self, names: list[str]) -> None:
        unknown = [n for n in names if n not in SERVICES]
        if unknown:
            raise ValueError(
                f"service(s) {', '.join(unknown)} not available; choose from {', '.join(SERVICES)}"
            )
        self.names = [n for n in SERVICES if n in names]
        self.settings = CommonSettings()
        # One registry per process: what its services' /metrics show.
        self.registry = CollectorRegistry()
        self.broker: NatsBroker = build_broker(
            self.settings, name="+".join(self.names), metrics=self.registry
        )
        self.running: dict[str, Any] = {}
        for name in self.names:
            self.broker.include_router(self._router(name))

    def _get(self, name: str) -> Callable[[], Any]:
        return lambda: self.running[name]

    def _router(self, name: str) -> NatsRouter:
        get = self._get(name)
        if name == "scheduler":
            return scheduler_router(get, replicas=self.settings.stream_replicas)
        routers = {
            "impact": impact_router,
            "notifier": notifier_router,
            "reporter": reporter_router,
            "statuspage": statuspage_router,
        }
        return routers[name](get)

    def _build(self, name: str) -> Any:
        """A service's resources, with its own settings class."""
        if name == "scheduler":
            return Scheduler(SchedulerSettings(), self.engine, self.broker)
        if name == "impact":
            return ImpactResolver(ImpactSettings(), self.engine, self.broker)
        if name == "reporter":
            return Reporter(ReporterSettings(), self.engine, self.broker)
        if name == "statuspage":
            return StatusPage(StatusSettings(), self.engine, self.broker, self.registry)
        return Notifier(NotifierSettings(), self.engine, self.broker)

    async def start(self) -> None:
        """Connect, build every service's resources, then start consuming."""
        self.engine = create_db_engine(self.settings.db_url)
        await asyncio.to_thread(migrate.prepare, self.engine, auto_migrate=self.settings.migrates_at_start)
        for name in self.names:
            self.running[name] = self._build(name)
        try:
            await self.broker.connect()
            if "scheduler" not in self.names:
                await wait_for_stream(self.broker)
            await self.broker.start()
            for service in self.running.values():
                if hasattr(service, "start"):
                    await service.start()
        except BaseException:
            await self.stop()
            raise
        log.info("running %s on %s", ", ".join(self.names), ", ".join(self.settings.servers))

    async def stop(self) -> None:
        """Stop consuming and close connections; unacked messages will be redelivered."""
        with suppress(Exception):
            await self.broker.stop()
        for service in self.running.values():
            if hasattr(service, "close"):
                await service.close()
        self.engine.dispose()


async def serve(names: list[str], *, ready: Callable[[Stack], None] | None = None) -> None:
    """Run services until SIGINT or SIGTERM."""
    stack = Stack(names)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await stack.start()
    if ready:
        ready(stack)
    try:
        await stopping.wait()
    finally:
        log.info("stopping %s", ", ".join(stack.names))
        await stack.stop()
