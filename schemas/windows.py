"""A window as every stage reads it (WindowView, its components, batches and series), and the
scheduler's events about it: facts, in the past tense. Only the scheduler publishes them."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from .base import Impact, Line, Payload, Text, UtcTime, WindowRef, WindowState, utcnow


class Component(Payload):
    """A (site, role) pair the public sees, such as STO1 Compute."""

    site: str = Field(examples=["STO1"])
    role: str = Field(examples=["compute"])
    site_name: Line = Field(
        default="",
        max_length=200,
        description="The site's name, as customers know it.",
        examples=["Stockholm 1, Kista"],
    )


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
    skips or repeats it, it is not the start's own local time (see the docs: Recurring series).
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
