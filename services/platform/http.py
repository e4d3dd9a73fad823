"""An ASGI app served in the process's own event loop: the status page's, and /health's and /metrics'."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import uvicorn
from starlette.types import ASGIApp

from .config import StartupError

# Open event streams get this long to end when a server stops.
GRACEFUL_SHUTDOWN_S = 3


class _Server(uvicorn.Server):
    """uvicorn inside a process that handles SIGINT/SIGTERM itself (see runtime.stack.serve)."""

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
