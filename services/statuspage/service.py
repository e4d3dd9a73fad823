"""The status page: a projection of the stream, served over HTTP by uvicorn in the same process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from typing import Any

import uvicorn
from faststream.nats import NatsBroker, NatsMessage
from jinja2 import Environment, FileSystemLoader
from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy import Engine

from forewarn.schemas import subjects

from ..config import StartupError
from ..inventory.summary import summarize
from ..notifier.invitation import Organizer
from .api import Page, StatusApi
from .live import Broadcast
from .settings import StatusSettings
from .state import WORDS, StatusView

log = logging.getLogger("forewarn.statuspage")

# Open event streams get this long to end when the service stops.
GRACEFUL_SHUTDOWN_S = 3


class _Server(uvicorn.Server):
    """uvicorn inside a process that handles SIGINT/SIGTERM itself (see runtime.serve)."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


class StatusPage:
    """Holds the page's state and resources; built at start-up, serving after start()."""

    def __init__(
        self, settings: StatusSettings, engine: Engine, broker: NatsBroker, registry: CollectorRegistry
    ):
        self.settings = settings
        self.engine = engine
        self.broker = broker
        self.registry = registry
        self.view = StatusView()
        self.broadcast = Broadcast()
        self.organizer = Organizer(settings.provider, settings.mail_from)
        self.templates = Environment(
            loader=FileSystemLoader(settings.templates_dir / "status"), autoescape=True, trim_blocks=True
        )
        self.templates.globals["words"] = WORDS
        self.caught_up = False
        # Where people reach the page (links use it), and where it listens; set by start().
        self.url = settings.public_url()
        self.address = self.url
        self.api = StatusApi(self.view, Page(settings.status_name, self.url))
        self.applied = Counter(
            "forewarn_statuspage_events_applied", "Stream messages the page took in", registry=registry
        )
        self.lag = Gauge(
            "forewarn_statuspage_lag_messages",
            "Messages in the stream the page has not read yet",
            registry=registry,
        )
        self.listeners = Gauge(
            "forewarn_statuspage_sse_clients", "Open live-update streams", registry=registry
        )
        self.listeners.set_function(lambda: len(self.broadcast.listeners))
        self._server: _Server | None = None
        self._serving: asyncio.Task[None] | None = None

    async def on_message(self, msg: NatsMessage) -> None:
        """Apply one stream message; the page keeps going whatever the message holds."""
        raw = msg.raw_message
        meta = raw.metadata
        try:
            changed = self.view.apply(raw.subject, raw.data, meta.sequence.stream)
        except Exception:  # a bug here must not stop the page from following the stream
            log.exception("status page could not apply message %s on %s", meta.sequence.stream, raw.subject)
            changed = None
        self.applied.inc()
        if meta.num_pending == 0:
            self.caught_up = True
        if changed:
            self.broadcast.publish(changed, meta.sequence.stream)

    async def refresh_lag(self) -> int:
        """How far behind the stream's last message the page is."""
        js = self.broker.config.connection_state.stream
        info = await js.stream_info(subjects.STREAM)
        behind = max(info.state.last_seq - self.view.last_seq, 0)
        self.lag.set(behind)
        return behind

    async def start(self) -> None:
        """Load the components from the inventory, then serve HTTP."""
        rows = await asyncio.to_thread(summarize, self.engine)
        self.view.add_components([(row["site"], row["role"]) for row in rows])
        from .web import build_app  # web imports this module's types

        # Binding here (not in uvicorn) turns a taken port into a clear error, and lets port 0 work.
        where = f"{self.settings.status_host}:{self.settings.status_port}"
        try:
            sock = socket.create_server((self.settings.status_host, self.settings.status_port))
        except OSError as exc:
            raise StartupError(
                f"the status page cannot listen on {where}: {exc.strerror}; set FOREWARN_STATUS_HOST "
                "or FOREWARN_STATUS_PORT"
            ) from None
        port = sock.getsockname()[1]
        self.address = f"http://{self.settings.status_host}:{port}"
        self.url = self.settings.public_url(port)
        self.api.page_info = Page(self.settings.status_name, self.url)
        config = uvicorn.Config(
            build_app(self),
            log_config=None,
            access_log=False,
            lifespan="off",
            server_header=False,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        )
        self._server = _Server(config)
        self._serving = asyncio.create_task(self._server.serve(sockets=[sock]), name="statuspage-http")
        while not self._server.started:
            if self._serving.done():
                self._serving.result()  # raises what stopped it
                raise StartupError(f"the status page's web server on {where} stopped at start-up")
            await asyncio.sleep(0.02)
        log.info("status page listening on %s, public address %s", self.address, self.url)

    async def close(self) -> None:
        """End live streams first, so the server's shutdown does not wait for browsers."""
        self.broadcast.close()
        if self._server and self._serving:
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await self._serving

    def render(self, template: str, **context: Any) -> str:
        return self.templates.get_template(template).render(page=self, **context)
