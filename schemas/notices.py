"""The notifier's facts about each notice it sent, and the reporter's completion report."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from .base import Payload, UtcTime, utcnow
from .impact import ComponentImpact, TenantChange
from .windows import WindowView


class NoticeOutcome(Payload):
    """Common shape of a delivery outcome: which notice, to whom."""

    notice_id: str = Field(description="window.tenant.kind.rSEQUENCE.contact-hash: the ledger key.")
    window_id: str
    tenant_id: str
    contact: str
    kind: str = Field(examples=["scheduled", "updated", "cancelled"])
    sequence: int
    message_id: str
    occurred_at: UtcTime = Field(default_factory=utcnow)


class NoticeDelivered(NoticeOutcome):
    """The mail server accepted a notice."""

    type: Literal["NoticeDelivered"] = "NoticeDelivered"


class NoticeFailed(NoticeOutcome):
    """A notice was refused for good; the server's reply says why."""

    type: Literal["NoticeFailed"] = "NoticeFailed"
    reason: str


# A report lists this many failures in full; `forewarn report ID` shows them all.
MAX_FAILURES_LISTED = 100


class NoticeCounts(Payload):
    """Notices by delivery state."""

    sent: int = 0
    failed: int = 0
    pending: int = Field(default=0, description="Claimed but not yet answered by the mail server.")


class NoticeFailure(Payload):
    """A notice the mail server refused for good."""

    tenant_id: str
    contact: str
    kind: str
    sequence: int
    reason: str = Field(description="The mail server's reply.")


class ReportPublished(Payload):
    """A window ended, completed or cancelled: what was planned, what happened, who was told."""

    type: Literal["ReportPublished"] = "ReportPublished"
    window: WindowView
    outcome: Literal["completed", "cancelled"]
    planned_start: UtcTime
    planned_end: UtcTime
    actual_start: UtcTime | None = Field(description="None when the work never began.")
    actual_end: UtcTime | None
    overrun: timedelta = Field(description="How long past the planned end the work ran; zero if it did not.")
    tenant_count: int
    resource_count: int
    components: list[ComponentImpact]
    notices: NoticeCounts
    notices_by_kind: dict[str, NoticeCounts]
    failures: list[NoticeFailure] = Field(description=f"The first {MAX_FAILURES_LISTED} failures.")
    failure_count: int
    tenant_changes: list[TenantChange] = Field(
        default_factory=list, description="Tenants that joined or left before the start, and when."
    )
    occurred_at: UtcTime = Field(default_factory=utcnow)
