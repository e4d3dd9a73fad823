"""Events: facts, in the past tense. Only the scheduler publishes window events."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Literal

from pydantic import Field

from .base import Impact, Line, Payload, Text, UtcTime, WindowRef, WindowState, utcnow


class Component(Payload):
    """A (site, role) pair the public sees, such as STO1 Compute."""

    site: str = Field(examples=["STO1"])
    role: str = Field(examples=["compute"])


class Batch(Payload):
    """One batch of a rolling window: its hosts, its slot and how far the work on it is."""

    number: int = Field(ge=1)
    hosts: list[Line]
    start: UtcTime = Field(description="The slot as its tenants were last told.")
    end: UtcTime
    announced: int = Field(ge=1, description="The window revision that last told this slot.")
    expected_start: UtcTime = Field(description="When it is now expected to begin, as the work runs.")
    expected_end: UtcTime
    started_at: UtcTime | None = None
    done: dict[str, int] = Field(
        default_factory=dict, description="Each host done, with the window revision that said so."
    )
    done_at: UtcTime | None = Field(default=None, description="When its last host was done.")


class Occurrence(Payload):
    """One occurrence of a series: when it starts, and the local time the rule gave it.

    The local time is what RECURRENCE-ID and EXDATE name; on a night a DST change
    skips or repeats it, it is not the start's own local time (see the README).
    """

    start: UtcTime
    local: str = Field(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$", examples=["2027-03-28T02:30:00"])


class Skipped(Occurrence):
    """An occurrence of a series that was not booked, and why (the invitation's EXDATE)."""

    reason: Line


class SeriesView(Payload):
    """The series a recurring window is one occurrence of: what its tenants' recurring VEVENT says."""

    id: str = Field(pattern=r"^ms-[a-z0-9]+$", examples=["ms-4k2q9x4d"])
    rrule: Line = Field(description="The RRULE value, UNTIL in UTC.")
    timezone: Line = Field(description="The zone DTSTART, RECURRENCE-ID and EXDATE are given in.")
    first: Occurrence = Field(description="DTSTART of the series: its first occurrence by the rule.")
    duration: timedelta
    sequence: int = Field(ge=1, description="The recurring VEVENT's SEQUENCE.")
    occurrences: list[Occurrence] = Field(
        description="Every occurrence booked, in order, as the rule gave it."
    )
    skipped: list[Skipped] = Field(
        default_factory=list, description="Occurrences the rule gives that were not booked."
    )
    recurrence_id: Occurrence = Field(description="This occurrence as the rule gave it: its RECURRENCE-ID.")
    lead: bool = Field(description="This occurrence's booking carries the series' invitation.")
    cut: UtcTime | None = Field(
        default=None,
        description="Occurrences from this start on were called off by a change to the series; "
        "its RRULE now ends before it.",
    )
    replaced_by: str | None = Field(
        default=None, description="The series that carries on from `cut`, if any."
    )


class WindowView(Payload):
    """A window as it stands after a change; every lifecycle event carries one."""

    id: WindowRef = Field(examples=["mw-7k2q9x4d"])
    title: Line
    description: Text = ""
    impact: Impact
    state: WindowState
    start: UtcTime
    end: UtcTime
    revision: int = Field(ge=1, description="Raised on every change; the iCalendar SEQUENCE.")
    hosts: list[Line] = Field(description="Host names the window covers, sorted.")
    components: list[Component]
    requested_by: Line = ""
    started_at: UtcTime | None = Field(default=None, description="When the work actually began.")
    ended_at: UtcTime | None = Field(
        default=None, description="When the window actually completed, or was cancelled while running."
    )
    series: SeriesView | None = Field(default=None, description="The series this window is an occurrence of.")

    @property
    def told_with_its_series(self) -> bool:
        """An occurrence of a series other than its first: its booking was told with the series'."""
        return self.series is not None and not self.series.lead

    batches: list[Batch] = Field(
        default_factory=list,
        description="A rolling window's batches, in order; empty when all its hosts go down at once.",
    )


class WindowEvent(Payload):
    """Common shape of lifecycle events."""

    window: WindowView
    command_id: str | None = Field(
        default=None, description="The command that caused it; none for timer transitions."
    )
    occurred_at: UtcTime = Field(default_factory=utcnow)


class WindowScheduled(WindowEvent):
    """A booking was accepted and stored."""

    type: Literal["WindowScheduled"] = "WindowScheduled"


class WindowRescheduled(WindowEvent):
    """A scheduled window moved to new times."""

    type: Literal["WindowRescheduled"] = "WindowRescheduled"
    previous_start: UtcTime
    previous_end: UtcTime


class WindowExtended(WindowEvent):
    """A window's end moved later."""

    type: Literal["WindowExtended"] = "WindowExtended"
    previous_end: UtcTime
    by: timedelta


class WindowStarted(WindowEvent):
    """A window began. `late` is set when it started after its time."""

    type: Literal["WindowStarted"] = "WindowStarted"
    late: bool = False
    late_by: timedelta = timedelta(0)


class WindowCompleted(WindowEvent):
    """A window ended, at its end time or early on request."""

    type: Literal["WindowCompleted"] = "WindowCompleted"
    early: bool = False


class WindowProgressed(WindowEvent):
    """Ops reported work on some hosts of a rolling window as begun or done.

    The window's batches say which hosts are done, and which slots were told anew
    (their `announced` is this revision) because the work before them ran late.
    """

    type: Literal["WindowProgressed"] = "WindowProgressed"
    step: Literal["started", "done"]
    hosts: list[Line] = Field(description="The hosts this report was about.")


class WindowCancelled(WindowEvent):
    """A window was called off."""

    type: Literal["WindowCancelled"] = "WindowCancelled"
    reason: Text


class Reason(Payload):
    """Why a command was refused: the field at fault and what is wrong."""

    field: str = Field(examples=["hosts.nodeset"])
    message: str = Field(examples=["sto1-cmp-99 is not in the inventory"])


class WindowRejected(Payload):
    """A command was refused; nothing changed."""

    type: Literal["WindowRejected"] = "WindowRejected"
    command_id: str = Field(description="Empty when the command could not even be read.")
    command: str = Field(examples=["BookWindow"])
    window_id: str | None = None
    reasons: list[Reason] = Field(min_length=1)
    occurred_at: UtcTime = Field(default_factory=utcnow)


class ImpactCause(StrEnum):
    """The lifecycle change an impact resolution answers."""

    SCHEDULED = "scheduled"
    RESCHEDULED = "rescheduled"
    EXTENDED = "extended"
    CANCELLED = "cancelled"
    STARTED = "started"
    COMPLETED = "completed"
    # The inventory moved a tenant into or out of a scheduled window: only they are told.
    DRIFTED = "drifted"
    # Hosts of a rolling window began or were done: tenants cleared, slots moved.
    PROGRESSED = "progressed"


class Contact(Payload):
    """A person or mailbox to notify for a tenant."""

    # Fully checked (email-validator) when the inventory is loaded; on the bus
    # a light pattern suffices, and keeps large fan-outs cheap to decode.
    email: Line = Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    name: Line = ""
    mode: Literal["invite", "notice"] = Field(
        default="invite",
        description="invite: a calendar request for people; notice: the VEVENT only, for automation.",
    )


class AffectedResource(Payload):
    """One of a tenant's resources on an affected host."""

    id: Line
    name: Line
    kind: Line
    host: Line


class TenantImpact(Payload):
    """What one tenant loses, and who to tell."""

    tenant_id: Line
    name: Line
    timezone: Line
    locale: Line
    contacts: list[Contact]
    resources: list[AffectedResource]
    impact: Impact


class ComponentImpact(Payload):
    """Public counts for one component: no tenant data."""

    site: str
    role: str
    hosts: int
    resources: int


class ImpactResolved(Payload):
    """Which tenants a window revision affects.

    Large windows are split into parts so each message stays below the
    server's payload limit; every part carries the same public summary.
    """

    type: Literal["ImpactResolved"] = "ImpactResolved"
    window: WindowView
    cause: ImpactCause
    components: list[ComponentImpact]
    tenant_count: int
    resource_count: int
    tenants: list[TenantImpact] = Field(
        description="The tenants affected; for a drift, only those who joined the window."
    )
    part: int = Field(default=1, ge=1)
    parts: int = Field(default=1, ge=1)
    drift: int = Field(
        default=0,
        ge=0,
        description="How many times the inventory changed this revision's affected set: 0 for "
        "the lifecycle's own resolutions, 1, 2, … for each drift.",
    )
    left: list[TenantImpact] = Field(
        default_factory=list,
        description="For a drift: the tenants no longer affected, as they were last told (no resources).",
    )
    occurred_at: UtcTime = Field(default_factory=utcnow)


class ServerChange(Payload):
    """One server the cloud created, deleted or moved, as the store now holds it."""

    id: Line
    change: Literal["added", "changed", "moved", "removed"]
    detail: Line = Field(default="", examples=["cmp-01 → cmp-03"])


class InventoryChanged(Payload):
    """Servers appeared, went or moved in a cloud's inventory: a notification or a sync said so."""

    type: Literal["InventoryChanged"] = "InventoryChanged"
    source: Line = Field(examples=["openstack:sto"])
    cause: Literal["notification", "sync"]
    event_type: Line = Field(default="", description="Nova's event, for a notification.")
    hosts: list[Line] = Field(description="Hosts whose servers changed: where they were and where they are.")
    changes: list[ServerChange] = Field(min_length=1)
    occurred_at: UtcTime = Field(default_factory=utcnow)


class DeadLettered(Payload):
    """A message a consumer could not use, kept with the reason."""

    type: Literal["DeadLettered"] = "DeadLettered"
    id: str = Field(description="Stable id: stream and sequence of the original message.")
    subject: str
    consumer: str
    reason: str
    stream: str | None = Field(
        default=None,
        description="The stream holding the original: a replay takes it from there, never from this copy. "
        "None for a core message, which has no stored original.",
    )
    stream_seq: int | None = None
    payload: str = Field(description="The original payload, cut at 64 KiB.")
    occurred_at: UtcTime = Field(default_factory=utcnow)


class WindowDue(Payload):
    """A window's start or end time arrived: the body of a durable timer."""

    type: Literal["WindowDue"] = "WindowDue"
    window_id: WindowRef
    edge: Literal["start", "end"]
    at: UtcTime = Field(description="The time the timer was set for.")


class ReminderDue(Payload):
    """A reminder's time arrived: the body of a reminder timer."""

    type: Literal["ReminderDue"] = "ReminderDue"
    window_id: WindowRef
    revision: int
    lead: timedelta = Field(description="How long before the start this reminder goes out.")
    impact_seq: int = Field(description="Stream sequence of the ImpactResolved part it reminds of.")
    escalation: bool = Field(
        default=False, description="An escalation: only to the tenants that have not acknowledged the plan."
    )


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


class TenantChange(Payload):
    """A tenant that joined or left a window's affected set before it started, as the inventory changed."""

    tenant_id: Line
    change: Literal["joined", "left"]
    at: UtcTime


class DriftCheckDue(Payload):
    """The inventory changed under a scheduled window: time to compare its affected set again.

    The body of the impact resolver's timer, which gathers a burst of changes into one check.
    """

    type: Literal["DriftCheckDue"] = "DriftCheckDue"
    window_id: WindowRef
    revision: int


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


class Answer(StrEnum):
    """What a contact said to a window's notice: iCalendar's PARTSTAT, or another time proposed."""

    ACCEPTED = "accepted"
    TENTATIVE = "tentative"
    DECLINED = "declined"
    PROPOSED = "proposed"


class ReplyReceived(Payload):
    """A tenant's contact answered a window's notice, from a signed link or a calendar's reply.

    `revision` is the plan the answer is about (the iCalendar SEQUENCE): an answer
    to an older revision than the window's current one is stale, not an answer
    to the current plan.
    """

    type: Literal["ReplyReceived"] = "ReplyReceived"
    reply_id: str = Field(
        min_length=8, max_length=64, pattern=r"^[a-z0-9]+$", description="Same answer, same id."
    )
    window_id: WindowRef
    revision: int = Field(ge=1)
    tenant_id: Line = Field(max_length=64)
    contact: Line = Field(max_length=320)
    answer: Answer
    proposed_start: UtcTime | None = Field(default=None, description="Another time the tenant asks for.")
    comment: Text = Field(default="", max_length=2000)
    via: Literal["link", "calendar"]
    occurred_at: UtcTime = Field(default_factory=utcnow)


class WebhookDue(Payload):
    """One event to deliver to one tenant's webhook endpoint: the body of a delivery message."""

    type: Literal["WebhookDue"] = "WebhookDue"
    delivery_id: str = Field(max_length=40, pattern=r"^msg_[0-9a-f]+$", description="The webhook-id header.")
    endpoint_id: str = Field(max_length=32, pattern=r"^ep_[0-9a-f]+$")
    tenant_id: Line = Field(max_length=64)
    event: str = Field(max_length=16)
    body: str = Field(description="The CloudEvent, as JSON, exactly as it is sent and signed.")
