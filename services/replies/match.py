"""A calendar's answer, matched to the window, the plan and the contact it is about."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlmodel import Session, select

from forewarn.schemas.base import printable, utcnow
from forewarn.schemas.events import ReplyReceived

from ..inventory.models import TenantContact
from ..scheduler import queries
from .parse import CalendarAnswer

# ReplyReceived.comment's limit: a longer note is cut, not refused.
MAX_COMMENT = 2000


def reply_for(session: Session, found: CalendarAnswer) -> tuple[ReplyReceived, datetime] | None:
    """The ReplyReceived an answer makes, and its window's end; None if no window of ours is named.

    The contact is the attendee if the tenant lists it; else whoever the
    attendee answered for (SENT-BY, DELEGATED-FROM) or the mail came from, if
    the tenant lists them; else the attendee as it wrote.

    The plan answered is the SEQUENCE the reply names (or Thunderbird's
    X-MOZ-RECEIVED-SEQUENCE, or the revision our notice's Message-ID names);
    a reply naming none answers the current plan if it names its start, and an
    earlier one otherwise.
    """
    window = queries.window_view(session, found.window_id)
    if window is None:
        return None
    plan = queries.plan_revision(session, window.id) or window.revision
    revision = found.sequence
    if revision is None or revision < 1:
        # Calendars keep whole seconds.
        revision = plan if found.start == window.start.replace(microsecond=0) else max(plan - 1, 1)
    listed = {
        e.lower()
        for e in session.exec(select(TenantContact.email).where(TenantContact.tenant_id == found.tenant_id))
    }
    contact = next((a for a in (found.attendee, *found.on_behalf) if a in listed), found.attendee)
    said = (
        f"{found.message_id}|{found.window_id}|{found.tenant_id}|{found.attendee}|{found.answer}|{revision}"
    )
    reply = ReplyReceived(
        reply_id=hashlib.sha256(said.encode()).hexdigest()[:32],
        window_id=window.id,
        revision=revision,
        tenant_id=found.tenant_id,
        contact=contact,
        answer=found.answer,
        proposed_start=found.start if found.answer.value == "proposed" else None,
        comment=printable(found.comment, multiline=True)[:MAX_COMMENT],
        via="calendar",
        occurred_at=found.answered_at or utcnow(),
    )
    return reply, window.end
