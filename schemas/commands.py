"""Commands: imperative requests the scheduler obeys or rejects."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, model_validator

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


class BookWindow(Payload):
    """Book a maintenance window over a set of hosts."""

    command_id: str = CommandId
    title: Line = Field(min_length=1, max_length=200, examples=["Ubuntu 24.04 migration"])
    description: Text = Field(default="", max_length=10_000)
    impact: Impact = Field(description="Impact on customer resources (MAINT-NOTE).")
    start: UtcTime = Field(description="Start, ISO 8601 with offset.")
    end: UtcTime = Field(description="End, ISO 8601 with offset.")
    hosts: HostSelector
    allow_overlap: bool = Field(
        default=False, description="Allow overlap with other live windows on the same hosts."
    )
    requested_by: Line = Field(default="", max_length=200, examples=["ops@sto1-jump"])


class RescheduleWindow(Payload):
    """Move a scheduled window to new times."""

    command_id: str = CommandId
    window_id: str = WindowId
    start: UtcTime
    end: UtcTime
    requested_by: Line = Field(default="", max_length=200)


class ExtendWindow(Payload):
    """Push a window's end later, before or while it runs."""

    command_id: str = CommandId
    window_id: str = WindowId
    by: timedelta = Field(gt=timedelta(0), description="How much later the window ends.")
    requested_by: Line = Field(default="", max_length=200)


class CancelWindow(Payload):
    """Call a window off before it ends."""

    command_id: str = CommandId
    window_id: str = WindowId
    reason: Text = Field(min_length=1, max_length=2_000)
    requested_by: Line = Field(default="", max_length=200)


class CompleteWindow(Payload):
    """End a running window now, earlier than planned."""

    command_id: str = CommandId
    window_id: str = WindowId
    requested_by: Line = Field(default="", max_length=200)


Command = BookWindow | RescheduleWindow | ExtendWindow | CancelWindow | CompleteWindow
