"""The status page's HTTP routes: pages, API, feeds, live events and health.

Its metrics are served with the process's others on FOREWARN_METRICS_PORT, not
here: this port is public, and metrics name consumers and count notices.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine
from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from forewarn.schemas.base import WindowState, utcnow

from ..ical.invitation import Organizer
from .answering import AnsweringPage, answer_routes
from .api import StatusApi
from .feeds import atom, public_calendar, tenant_calendar, tenant_windows
from .live import Broadcast
from .settings import StatusSettings
from .state import StatusView
from .tokens import tenant_for, tenant_links


class Page(AnsweringPage, Protocol):
    """What the routes need of the running status page (service.StatusPage is one)."""

    settings: StatusSettings
    engine: Engine
    view: StatusView
    api: StatusApi
    broadcast: Broadcast
    organizer: Organizer
    url: str
    caught_up: bool

    def render(self, template: str, **context: Any) -> str: ...

    async def refresh_lag(self) -> int: ...


# No inline script or style anywhere, and nothing from another origin: the page
# works in an air-gapped site, and injected markup could not run.
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
# A tenant's page must not be cached by a shared proxy, or indexed if a link leaks.
PRIVATE = {"cache-control": "private, no-store", "x-robots-tag": "noindex, nofollow"}
CALENDAR = "text/calendar; charset=utf-8"


class SecurityHeaders:
    """Adds the security headers to every response, streaming ones included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def build_app(page: Page) -> ASGIApp:
    """The ASGI app, bound to one running status page."""
    static = Path(page.settings.templates_dir) / "status" / "static"

    def html(
        template: str, code: int = 200, headers: dict[str, str] | None = None, **context: Any
    ) -> Response:
        return HTMLResponse(page.render(template, **context), status_code=code, headers=headers)

    async def index(request: Request) -> Response:
        view = page.view
        return html(
            "index.html.j2",
            in_progress=view.in_progress(),
            upcoming=view.upcoming(),
            recent=view.recent(utcnow(), page.settings.status_recent_days, WindowState.COMPLETED),
            # Called off: never under "Recently completed", but said, for those who saw it booked.
            called_off=view.recent(utcnow(), page.settings.status_recent_days, WindowState.CANCELLED),
            components=view.component_list(),
            status=page.api.status(),
        )

    async def window(request: Request) -> Response:
        found = page.view.windows.get(request.path_params["window_id"])
        if found is None:
            raise HTTPException(404)
        return html("window.html.j2", window=found, components=page.view.components)

    async def events(request: Request) -> Response:
        return EventSourceResponse(page.broadcast.listen(), ping=15, headers={"cache-control": "no-store"})

    async def api(request: Request) -> Response:
        document = page.api.document(request.path_params["name"])
        if document is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        # Status widgets on other sites read this API from the browser.
        return JSONResponse(document, headers={"access-control-allow-origin": "*"})

    async def feed(request: Request) -> Response:
        body = atom(page.view, url=page.url, name=page.settings.status_name)
        return Response(body, media_type="application/atom+xml")

    async def calendar(request: Request) -> Response:
        body = public_calendar(
            page.view,
            page.organizer,
            name=page.settings.status_name,
            recent_days=page.settings.status_recent_days,
        )
        return Response(
            body, media_type=CALENDAR, headers={"content-disposition": 'inline; filename="maintenance.ics"'}
        )

    async def tenant_of(request: Request):
        tenant = await asyncio.to_thread(tenant_for, page.engine, request.path_params["token"])
        if tenant is None:
            # The same answer as any unknown address: a wrong token learns nothing.
            raise HTTPException(404)
        return tenant

    async def tenant_page(request: Request) -> Response:
        tenant = await tenant_of(request)
        mine = tenant_windows(page.view, tenant.id, page.settings.status_recent_days)
        rows = sorted(
            ((page.view.windows[wid], impact) for wid, impact in mine),
            key=lambda row: (not row[0].state.live, row[0].start),
        )
        token = request.path_params["token"]
        webcal = tenant_links(page.url, token)["webcal"]
        entry = page.view.tenants.get(tenant.id)
        return html(
            "tenant.html.j2",
            headers=PRIVATE,
            tenant=tenant,
            rows=rows,
            answers=entry.answers if entry else {},
            token=token,
            webcal=webcal,
        )

    async def tenant_ics(request: Request) -> Response:
        tenant = await tenant_of(request)
        body = tenant_calendar(
            page.view,
            tenant.id,
            page.organizer,
            name=tenant.name,
            recent_days=page.settings.status_recent_days,
        )
        return Response(body, media_type=CALENDAR, headers=PRIVATE)

    async def health(request: Request) -> Response:
        # Ready once the page has read the stream to its end (or found it empty).
        try:
            ready = page.caught_up or await page.refresh_lag() == 0
            state = "ok" if ready else "catching_up"
        except Exception:  # NATS unreachable: the page may be stale
            ready, state = False, "stream_unreachable"
        body = {"status": state, "stream_seq": page.view.last_seq}
        return JSONResponse(body, status_code=200 if ready else 503, headers={"cache-control": "no-store"})

    async def not_found(request: Request, exc: Exception) -> Response:
        code = getattr(exc, "status_code", 500)
        return html("error.html.j2", code, error=code)

    routes = [
        Route("/", index),
        Route("/windows/{window_id}", window),
        Route("/events", events),
        Route("/api/v2/{name:path}", api),
        Route("/feed.atom", feed),
        Route("/calendar.ics", calendar),
        Route("/t/{token}", tenant_page),
        Route("/t/{token}/calendar.ics", tenant_ics),
        *answer_routes(page),
        Route("/health", health),
        Mount("/static", _Static(directory=static), name="static"),
    ]
    return SecurityHeaders(Starlette(routes=routes, exception_handlers={HTTPException: not_found}))


class _Static(StaticFiles):
    """Starlette's StaticFiles, but a path no file can have (a NUL byte) is a 404, not a 500."""

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        if "\x00" in path:
            return "", None
        return super().lookup_path(path)
