"""What an operator watches: each process's metrics and health, over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import uvicorn
from faststream.nats import NatsBroker
from nats.js.errors import NotFoundError
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from ..bus import jetstream
from ..bus.readiness import missing
from .config import StartupError

# Open event streams get this long to end when a server stops.
GRACEFUL_SHUTDOWN_S = 3


@dataclass
class Metrics:
    """The instruments of one process, in its own registry (a test may run several stacks)."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    # Read from the server before each scrape (the status page's lag, say).
    refreshers: list[Callable[[], Awaitable[object]]] = field(default_factory=list)
    # What a service knows is wrong beside NATS (a cloud's bus down, say): {what: why}.
    troubles: list[Callable[[], Awaitable[dict[str, str]]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        r = self.registry
        self.notices = Counter(
            "forewarn_notices", "Notices by kind and outcome", ["kind", "state"], registry=r
        )
        self.smtp_seconds = Histogram(
            "forewarn_smtp_send_seconds",
            "Time to hand one message to the SMTP server, by outcome",
            ["outcome"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=r,
        )
        self.redeliveries = Counter(
            "forewarn_redeliveries", "Messages this process received again", ["consumer"], registry=r
        )
        self.dead_letters = Counter(
            "forewarn_dead_letters", "Messages set aside as dead letters", ["consumer"], registry=r
        )
        self.pending = Gauge(
            "forewarn_consumer_pending_messages",
            "Messages in the stream a consumer has not been given yet (its lag)",
            ["consumer"],
            registry=r,
        )
        self.ack_pending = Gauge(
            "forewarn_consumer_ack_pending_messages",
            "Messages a consumer was given and has not acknowledged yet",
            ["consumer"],
            registry=r,
        )
        self.notification_bus = Gauge(
            "forewarn_openstack_notification_bus_up",
            "1 while the inventory is connected to a cloud's notification bus",
            ["cloud"],
            registry=r,
        )
        self.last_sync = Gauge(
            "forewarn_openstack_last_sync_timestamp_seconds",
            "When the inventory last synced a cloud in full, successfully",
            ["cloud"],
            registry=r,
        )
        self.redelivered = Gauge(
            "forewarn_consumer_redelivered_messages",
            "Unacknowledged messages that were delivered more than once",
            ["consumer"],
            registry=r,
        )

    async def refresh(self, brokers: list[NatsBroker]) -> None:
        """Read the lag of this process's consumers from the server, as of now."""
        for broker in brokers:
            js = jetstream.context(broker)
            for stream, name in consumers_of(broker):
                with contextlib.suppress(NotFoundError):
                    info = await js.consumer_info(stream, name)
                    self.pending.labels(name).set(info.num_pending or 0)
                    self.ack_pending.labels(name).set(info.num_ack_pending or 0)
                    self.redelivered.labels(name).set(info.num_redelivered or 0)

    async def exposition(self, brokers: list[NatsBroker]) -> bytes:
        """The Prometheus text of this process; without NATS, the last known lag stands."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.refresh(brokers), timeout=2)
        for refresh in self.refreshers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(refresh(), timeout=2)
        return generate_latest(self.registry)


def consumers_of(broker: NatsBroker) -> list[tuple[str, str]]:
    """The durable consumers a broker reads, as (stream, consumer)."""
    found = set()
    for sub in broker.subscribers:
        name = getattr(sub.config, "durable_name", None)
        if name and sub.stream:
            found.add((sub.stream.name, name))
    return sorted(found)


class _Server(uvicorn.Server):
    """uvicorn inside a process that handles SIGINT/SIGTERM itself (see runtime.serve)."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


class HttpServer:
    """An ASGI app served by uvicorn in this process's event loop."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.address = ""
        self._server: _Server | None = None
        self._serving: asyncio.Task[None] | None = None

    async def start(self, host: str, port: int, *, what: str, variables: str) -> int:
        """Listen and serve; returns the port (port 0 picks a free one)."""
        # Binding here (not in uvicorn) turns a taken port into a clear error, and lets port 0 work.
        where = f"{host}:{port}"
        try:
            sock = socket.create_server((host, port))
        except OSError as exc:
            raise StartupError(f"{what} cannot listen on {where}: {exc.strerror}; set {variables}") from None
        port = sock.getsockname()[1]
        self.address = f"http://{host}:{port}"
        config = uvicorn.Config(
            self.app,
            log_config=None,
            access_log=False,
            lifespan="off",
            server_header=False,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        )
        self._server = _Server(config)
        self._serving = asyncio.create_task(self._server.serve(sockets=[sock]), name=f"http {where}")
        while not self._server.started:
            if self._serving.done():
                self._serving.result()  # raises what stopped it
                raise StartupError(f"{what} on {where} stopped at start-up")
            await asyncio.sleep(0.02)
        return port

    async def close(self) -> None:
        if self._server and self._serving:
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await self._serving


def ops_app(by_login: dict[str, NatsBroker], metrics: Metrics) -> Starlette:
    """/metrics for Prometheus; /health for orchestrators.

    `/health` (and `/health/live`) is 200 while NATS answers: a liveness probe.
    `/health/ready` is 200 once every stream and durable consumer this process
    needs exists as well: a readiness probe, which a process whose scheduler has
    not made the streams yet fails. A service that works on with something else
    down (the inventory without a cloud's notification bus) is "degraded" and
    still 200: a restart would not help.
    """

    brokers = list(by_login.values())

    async def state() -> tuple[dict, bool, bool]:
        alive = all([await broker.ping(timeout=2) for broker in brokers])
        needs = sorted({pair for broker in brokers for pair in consumers_of(broker)})
        gone = await _missing(by_login) if alive else ["a connection to NATS"]
        troubles = {what: why for check in metrics.troubles for what, why in (await check()).items()}
        status = "nats_unreachable" if not alive else "degraded" if troubles else "ok"
        body = {
            "status": status,
            "ready": not gone,
            "consumers": [name for _, name in needs],
            **({"missing": gone} if gone else {}),
            **({"troubles": troubles} if troubles else {}),
        }
        return body, alive, not gone

    async def live(request: Request) -> Response:
        body, alive, _ = await state()
        return JSONResponse(body, status_code=200 if alive else 503, headers={"cache-control": "no-store"})

    async def ready(request: Request) -> Response:
        body, _, is_ready = await state()
        return JSONResponse(body, status_code=200 if is_ready else 503, headers={"cache-control": "no-store"})

    async def scrape(request: Request) -> Response:
        return Response(await metrics.exposition(brokers), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route("/health", live),
            Route("/health/live", live),
            Route("/health/ready", ready),
            Route("/metrics", scrape),
        ]
    )


async def _missing(by_login: dict[str, NatsBroker]) -> list[str]:
    """What this process's consumers need that does not exist; each login asks of its own."""
    gone: list[str] = []
    try:
        for login, broker in by_login.items():
            needs = consumers_of(broker)
            gone += await asyncio.wait_for(missing(jetstream.context(broker), needs, login=login), timeout=2)
    except Exception as exc:  # the server answered the ping but not this: not ready, and why
        gone.append(f"an answer from JetStream ({type(exc).__name__})")
    return list(dict.fromkeys(gone))
