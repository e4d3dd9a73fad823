"""Commands: imperative requests the scheduler obeys or rejects."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, model_validator

from .answers import ReplyReceived
from .base import WINDOW_ID_PATTERN, Impact, Line, Payload, Text, UtcTime

CommandId = Field(
    min_length=8,
    max_length=64,
    pattern=r"^[A-Za-z0-9_.:-]+$",
    description="Unique id chosen by the sender; also the JetStream Nats-Msg-Id.",
    examples=["01JDX3Q8Y2M4V7K9T1B5N6C0RZ"],
)
WindowId = Field(
    min_length=4,
    max_length=32,
    pattern=WINDOW_ID_PATTERN,
    description="The window's id, as printed by `forewarn book`.",
    examples=["mw-7k2q9x4d"],
)


class HostSelector(Payload):
    """Which hosts a window covers. Selectors combine: all given must match."""

    nodeset: Line | None = Field(
        default=None,
        max_length=20_000,
        description="Host names in node-set syntax.",
        examples=["sto1-cmp-[01-08]"],
    )
    sites: list[Line] = Field(default_factory=list, max_length=50, examples=[["STO1"]])
    roles: list[Line] = Field(default_factory=list, max_length=50, examples=[["compute"]])
    tags: list[Line] = Field(
        default_factory=list,
        max_length=50,
        description="Tags every host must carry; from OpenStack, a host's tags are its aggregates' names.",
        examples=[["rack-a"]],
    )
    zones: list[Line] = Field(
        default_factory=list,
        max_length=50,
        description="OpenStack availability zones the hosts are in.",
        examples=[["sto1"]],
    )

    @model_validator(mode="after")
    def _not_empty(self) -> HostSelector:
        if not (self.nodeset or self.sites or self.roles or self.tags or self.zones):
            raise ValueError("name at least one of nodeset, sites, roles, tags or zones")
        return self


class Rolling(Payload):
    """A rolling window: its hosts go down in batches, one after another, each batch in a slot of its own.

    Give either `batch_size` (the window's hosts, in order, so many at a time) or
    `batches` (each in node-set syntax, in the order they go; together exactly the
    window's hosts).
    """

    batch_size: int | None = Field(default=None, ge=1, le=10_000, examples=[2])
    batches: list[Line] = Field(
        default_factory=list, max_length=1_000, examples=[["sto1-cmp-[01-02]", "sto1-cmp-[03-04]"]]
    )
    per_batch: timedelta = Field(gt=timedelta(0), description="How long each batch's slot is.")

    @model_validator(mode="after")
    def _one_way(self) -> Rolling:
        if (self.batch_size is None) == (not self.batches):
            raise ValueError("give either batch_size or batches, not both or neither")
        return self


class Recurrence(Payload):
    """A recurring window: an iCalendar RRULE, read in a time zone, so 22:00 stays 22:00 across DST.

    The booking's start is the first occurrence's (or, when that does not match
    the rule, where the rule starts looking); its length is every occurrence's.
    """

    rrule: Line = Field(
        max_length=500,
        description="RFC 5545 RRULE value, with COUNT or UNTIL (UNTIL in UTC).",
        examples=["FREQ=MONTHLY;BYDAY=2TU;COUNT=12"],
    )
    timezone: Line = Field(
        max_length=64, description="IANA zone the rule is read in.", examples=["Europe/Stockholm"]
    )


SHORT = "A window shorter than the scheduler's FOREWARN_MIN_DURATION, on purpose."


class BookWindow(Payload):
    """Book a maintenance window over a set of hosts."""

    type: Literal["BookWindow"] = "BookWindow"
    command_id: str = CommandId
    title: Line = Field(min_length=1, max_length=200, examples=["Ubuntu 24.04 migration"])
    description: Text = Field(default="", max_length=10_000)
    impact: Impact = Field(description="Impact on customer resources (MAINT-NOTE).")
    start: UtcTime = Field(description="Start, ISO 8601 with offset.")
    end: UtcTime | None = Field(
        default=None,
        description="End, ISO 8601 with offset. A rolling window may leave it out: its last slot ends it.",
    )
    hosts: HostSelector
    allow_overlap: bool = Field(
        default=False, description="Allow overlap with other live windows on the same hosts."
    )
    short: bool = Field(default=False, description=SHORT)
    requested_by: Line = Field(default="", max_length=200, examples=["ops@sto1-jump"])
    rolling: Rolling | None = Field(default=None, description="Take the hosts down in batches.")
    recurrence: Recurrence | None = Field(
        default=None, description="Book a series: one window per occurrence of the rule."
    )

    @model_validator(mode="after")
    def _has_end(self) -> BookWindow:
        if self.end is None and self.rolling is None:
            raise ValueError("end: give the end, unless the window is rolling")
        if self.rolling is not None and self.recurrence is not None:
            raise ValueError("a window is either rolling or recurring, not both")
        return self


class RescheduleWindow(Payload):
    """Move a scheduled window to new times."""

    type: Literal["RescheduleWindow"] = "RescheduleWindow"
    command_id: str = CommandId
    window_id: str = WindowId
    start: UtcTime
    end: UtcTime | None = Field(
        default=None, description="The new end; left out, the window keeps its length."
    )
    short: bool = Field(default=False, description=SHORT)
    requested_by: Line = Field(default="", max_length=200)


class ExtendWindow(Payload):
    """Push a window's end later, before or while it runs."""

    type: Literal["ExtendWindow"] = "ExtendWindow"
    command_id: str = CommandId
    window_id: str = WindowId
    by: timedelta = Field(gt=timedelta(0), description="How much later the window ends.")
    requested_by: Line = Field(default="", max_length=200)


class CancelWindow(Payload):
    """Call a window off before it ends."""

    type: Literal["CancelWindow"] = "CancelWindow"
    command_id: str = CommandId
    window_id: str = WindowId
    reason: Text = Field(min_length=1, max_length=2_000)
    requested_by: Line = Field(default="", max_length=200)


class CompleteWindow(Payload):
    """End a running window now, earlier than planned."""

    type: Literal["CompleteWindow"] = "CompleteWindow"
    command_id: str = CommandId
    window_id: str = WindowId
    requested_by: Line = Field(default="", max_length=200)


class ReportProgress(Payload):
    """Say that work on some hosts of a running rolling window began, or is done."""

    type: Literal["ReportProgress"] = "ReportProgress"
    command_id: str = CommandId
    window_id: str = WindowId
    step: Literal["started", "done"]
    hosts: Line | None = Field(
        default=None, max_length=20_000, description="Hosts in node-set syntax.", examples=["sto1-cmp-03"]
    )
    batch: int | None = Field(default=None, ge=1, description="Every host of this batch (from 1).")
    requested_by: Line = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _one_way(self) -> ReportProgress:
        if (self.hosts is None) == (self.batch is None):
            raise ValueError("give either hosts or batch, not both or neither")
        return self


class ChangeSeries(Payload):
    """Change a series from one of its occurrences on: call them off, move them, or make them longer.

    Moving or lengthening them ends the series before `since` and books the rest
    as a new series, as calendars split "this and following" occurrences.
    """

    type: Literal["ChangeSeries"] = "ChangeSeries"
    command_id: str = CommandId
    series_id: str = Field(pattern=r"^ms-[a-z0-9]+$", max_length=32, examples=["ms-4k2q9x4d"])
    since: UtcTime = Field(description="Every occurrence starting at or after this time is changed.")
    action: Literal["cancel", "reschedule", "extend"]
    reason: Text = Field(default="", max_length=2_000, description="Why, for customers (cancel).")
    start_time: str | None = Field(
        default=None,
        pattern=r"^\d\d:\d\d$",
        description="reschedule: the new local time of day, in the series' zone.",
        examples=["23:00"],
    )
    duration: timedelta | None = Field(
        default=None, gt=timedelta(0), description="reschedule: the new length."
    )
    by: timedelta | None = Field(default=None, gt=timedelta(0), description="extend: how much longer.")
    requested_by: Line = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _fits_action(self) -> ChangeSeries:
        if self.action == "cancel" and not self.reason:
            raise ValueError("reason: say why the occurrences are called off")
        if self.action == "reschedule" and self.start_time is None and self.duration is None:
            raise ValueError("start_time: give the new time of day, the new duration, or both")
        if self.action == "extend" and self.by is None:
            raise ValueError("by: say how much longer")
        return self


Command = (
    BookWindow
    | RescheduleWindow
    | ExtendWindow
    | CancelWindow
    | CompleteWindow
    | ReportProgress
    | ChangeSeries
)


class RecordAnswer(Payload):
    """Record a tenant's answer from its signed link: the status page asks, the reporter stores it.

    A request, answered with RecordAnswerResult, and never stored as it is: only
    the ReplyReceived inside is, once it reads as one.
    """

    type: Literal["RecordAnswer"] = "RecordAnswer"
    reply: ReplyReceived
    keep_until: UtcTime = Field(description="The window's planned end: the answer is kept as its impact is.")


class RecordAnswerResult(Payload):
    """The reporter's answer to RecordAnswer: recorded, or refused and why."""

    type: Literal["RecordAnswerResult"] = "RecordAnswerResult"
    recorded: bool
    reason: Text = Field(default="", max_length=2000)
