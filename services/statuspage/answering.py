"""Answer pages: a notice's signed link opens a confirmation, and only its form records the answer.

A GET shows the window and the form and records nothing, so a mail scanner
that opens every link in a mail answers nothing. The POST publishes
ReplyReceived; its id is derived from what it says, so a form sent twice is
recorded once. A forged, altered or expired token gets the same 404 as any
unknown address, and so does the link of a contact no longer listed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, func, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from forewarn.schemas.answers import Answer, ReplyReceived
from forewarn.schemas.base import utcnow

from ..answers.links import AnswerLinks, AnswerToken
from ..inventory.models import Tenant, TenantContact
from .model import PublicWindow
from .state import StatusView

# A form is a choice, a time and a comment: anything larger is not ours.
MAX_FORM = 16 * 1024
CHOICES = {"accepted": Answer.ACCEPTED, "proposed": Answer.PROPOSED}

log = logging.getLogger("forewarn.statuspage")


class AnsweringPage(Protocol):
    """What the answer routes need of the running status page."""

    engine: Engine
    view: StatusView
    answers: AnswerLinks | None

    def render(self, template: str, **context: Any) -> str: ...

    async def publish_reply(self, reply: ReplyReceived, *, until: datetime) -> None: ...


class FormError(ValueError):
    """The form cannot be recorded: the message says which field, and why."""


class NotRecorded(RuntimeError):
    """The answer was right, but the reporter did not record it now (down, or it refused)."""


def reply_for(found: AnswerToken, form: dict[str, list[str]], zone: str, *, now: datetime) -> ReplyReceived:
    """The ReplyReceived a posted form says, or FormError."""
    choice = CHOICES.get(_one(form, "answer"))
    if choice is None:
        raise FormError("answer: choose Acknowledge or Ask for another time")
    proposed = None
    if choice is Answer.PROPOSED:
        try:
            proposed = datetime.fromisoformat(_one(form, "preferred"))
        except ValueError:
            raise FormError("preferred: give the time you would like, such as 2026-12-01T22:00") from None
        # The form's field has no zone: it is the tenant's.
        proposed = proposed if proposed.tzinfo else proposed.replace(tzinfo=ZoneInfo(zone))
        if proposed <= now:
            raise FormError("preferred: is in the past; give a time still ahead")
    comment = _one(form, "comment").replace("\r\n", "\n").strip()
    said = [found.window_id, found.revision, found.tenant_id, found.contact]
    said += [choice.value, proposed.isoformat() if proposed else "", comment]
    try:
        return ReplyReceived(
            reply_id=hashlib.sha256(json.dumps(said).encode()).hexdigest()[:32],
            window_id=found.window_id,
            revision=found.revision,
            tenant_id=found.tenant_id,
            contact=found.contact,
            answer=choice,
            proposed_start=proposed,
            comment=comment,
            via="link",
            occurred_at=now,
        )
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise FormError(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None


def _one(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0]


def answer_routes(page: AnsweringPage) -> list[Route]:
    """GET and POST /answer/{token}."""

    async def opened(request: Request) -> tuple[AnswerToken, PublicWindow, Tenant]:
        found = page.answers.read(request.path_params["token"], utcnow()) if page.answers else None
        window = page.view.windows.get(found.window_id) if found else None
        if found is None or window is None or not window.state.live:
            raise HTTPException(404)
        tenant = await asyncio.to_thread(_listed, page.engine, found.tenant_id, found.contact)
        if tenant is None:
            raise HTTPException(404)
        return found, window, tenant

    def form(
        found: AnswerToken, window: PublicWindow, tenant: Tenant, code: int = 200, **context: Any
    ) -> Response:
        body = page.render(
            "answer.html.j2",
            window=window,
            tenant=tenant,
            stale=found.revision < window.plan_revision,
            **context,
        )
        return HTMLResponse(body, status_code=code, headers={"cache-control": "private, no-store"})

    async def ask(request: Request) -> Response:
        found, window, tenant = await opened(request)
        return form(found, window, tenant, propose="propose" in request.query_params, error=None)

    async def answer(request: Request) -> Response:
        found, window, tenant = await opened(request)
        try:
            body = await _bounded_body(request)
            fields = parse_qs(body.decode("utf-8", errors="strict"), max_num_fields=8)
            reply = reply_for(found, fields, tenant.timezone, now=utcnow())
        except (FormError, UnicodeDecodeError, ValueError) as exc:
            return form(found, window, tenant, 400, propose=True, error=str(exc))
        try:
            await page.publish_reply(reply, until=found.expires)
        except NotRecorded as exc:
            log.error("window %s: tenant %s's answer not recorded: %s", found.window_id, found.tenant_id, exc)
            again = "Your answer could not be recorded just now. Please send it again in a minute."
            return form(found, window, tenant, 503, propose=True, error=again)
        return form(found, window, tenant, answered=reply, propose=False, error=None)

    return [
        Route("/answer/{token}", ask, methods=["GET"]),
        Route("/answer/{token}", answer, methods=["POST"]),
    ]


async def _bounded_body(request: Request) -> bytes:
    """The request's body, read no further than any answer's form can be."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            raise FormError("the form is larger than any answer")
    return body


def _listed(engine: Engine, tenant_id: str, contact: str) -> Tenant | None:
    """The tenant, if the link's contact is still one of its contacts.

    The signature outlives a person's place in the inventory: a link of someone
    forgotten (`forewarn contact forget`) or dropped is as dead as a forged one.
    """
    with Session(engine) as session:
        listed = session.exec(
            select(TenantContact.id).where(
                TenantContact.tenant_id == tenant_id, func.lower(TenantContact.email) == contact.lower()
            )
        ).first()
        return session.get(Tenant, tenant_id) if listed is not None else None
