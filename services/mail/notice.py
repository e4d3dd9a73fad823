"""What one notice is: its kind, the window, tenant and contact it is about, and the key the
ledger sends it once under."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from forewarn.schemas.impact import Contact, TenantImpact
from forewarn.schemas.windows import WindowView

from ..common import rolling
from ..privacy.pseudonyms import contact_key

NoticeKind = Literal[
    "scheduled",
    "updated",
    "cancelled",
    "reminder",
    "escalation",
    "started",
    "completed",
    "joined",
    "withdrawn",
    "cleared",
    "series",
]
# The notices a drift sends: a tenant can join and leave a revision more than once.
DRIFT_KINDS = ("joined", "withdrawn")


@dataclass(frozen=True)
class Notice:
    """What to tell one contact of one tenant about one window revision."""

    kind: NoticeKind
    window: WindowView
    tenant: TenantImpact
    contact: Contact
    previous_start: datetime | None = None  # the start and end last told, when told before
    previous_end: datetime | None = None
    lead: int | None = None  # seconds before the start, for reminders and escalations
    drift: int | None = None  # which drift of the revision, for a tenant joining or leaving


def is_master(notice: Notice) -> bool:
    """Whether the notice carries its series' recurring VEVENT: the booking, with its first occurrence."""
    series = notice.window.series
    if series is None:
        return False
    return notice.kind == "series" or (series.lead and notice.kind == "scheduled")


def told_span(notice: Notice) -> tuple[datetime, datetime]:
    """The start and end this notice tells its tenant: in a rolling window, its own slots'."""
    return rolling.tenant_slot(notice.window, notice.tenant)


def ledger_kind(notice: Notice) -> str:
    """The kind as the ledger keys it: each reminder lead, and each drift, is a notice of its own."""
    if notice.lead is not None:
        return f"{notice.kind}-{notice.lead}s"
    if notice.kind in DRIFT_KINDS:
        return f"{notice.kind}-d{notice.drift or 0}"
    return notice.kind


def notice_id(notice: Notice) -> str:
    """The ledger key of a notice: window, tenant, kind, sequence and recipient."""
    w, who = notice.window, contact_key(notice.contact.email)
    return f"{w.id}.{notice.tenant.tenant_id}.{ledger_kind(notice)}.r{w.revision}.{who}"
