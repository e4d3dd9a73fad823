"""A calendar's answer, matched to the window, the plan and the contact it is about."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlmodel import Session, select

from forewarn.schemas.answers import ReplyReceived
from forewarn.schemas.base import printable, utcnow

from ..inventory.models import TenantContact
from ..scheduler import queries
from .models import CalendarDelegation
from .parse import CalendarAnswer, Delegation

# ReplyReceived.comment's limit: a longer note is cut, not refused.
MAX_COMMENT = 2000


class NotAContact(ValueError):
    """An answer from an address that is no contact of the tenant, nor a delegate one named."""

    def __init__(self, found: CalendarAnswer) -> None:
        super().__init__(
            f"an answer to window {found.window_id} for tenant {found.tenant_id} from {found.attendee!r}, "
            "who is none of its contacts nor a delegate one of them named: kept aside, counts for nothing"
        )
        self.found = found


def record_delegation(session: Session, delegation: Delegation) -> bool:
    """Keep a contact's delegation (from its own calendar's answer); False if the delegator is no contact."""
    if delegation.delegator not in _listed(session, delegation.tenant_id):
        return False
    for delegate in delegation.delegates:
        key = (delegation.window_id, delegation.tenant_id, delegate)
        if session.get(CalendarDelegation, key) is None:
            session.add(
                CalendarDelegation(
                    window_id=delegation.window_id,
                    tenant_id=delegation.tenant_id,
                    delegate=delegate,
                    delegator=delegation.delegator,
                )
            )
    return True


def reply_for(session: Session, found: CalendarAnswer) -> tuple[ReplyReceived, datetime] | None:
    """The ReplyReceived an answer makes, and its window's end; None if no window of ours is named.

    The answer counts for a contact only: the attendee if the tenant lists it,
    else the mail's sender if the tenant lists that, else the contact a
    delegate answers for, if that contact named it in an answer of its own.
    Anyone else (the UID is on every contact's invitation) is NotAContact.

    The plan answered is the SEQUENCE the reply names (or Thunderbird's
    X-MOZ-RECEIVED-SEQUENCE, or the revision our notice's Message-ID names);
    a reply naming none answers the current plan if it names its start, and an
    earlier one otherwise.
    """
    window = queries.window_view(session, found.window_id)
    if window is None:
        return None
    contact = _contact(session, found)
    plan = queries.plan_revision(session, window.id) or window.revision
    revision = found.sequence
    if revision is None or revision < 1:
        # Calendars keep whole seconds.
        revision = plan if found.start == window.start.replace(microsecond=0) else max(plan - 1, 1)
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


def _contact(session: Session, found: CalendarAnswer) -> str:
    listed = _listed(session, found.tenant_id)
    for candidate in (found.attendee, found.sender):
        if candidate in listed:
            return candidate
    # The delegation is the contact's own word; the delegate's DELEGATED-FROM alone is anyone's.
    named = session.get(CalendarDelegation, (found.window_id, found.tenant_id, found.attendee))
    if named is not None and named.delegator in listed:
        return named.delegator
    raise NotAContact(found)


def _listed(session: Session, tenant_id: str) -> set[str]:
    emails = session.exec(select(TenantContact.email).where(TenantContact.tenant_id == tenant_id))
    return {e.lower() for e in emails}
