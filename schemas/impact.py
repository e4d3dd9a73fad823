"""The impact resolver's facts: which tenants, resources and contacts a window hits
(ImpactResolved), and who joined or left it as the inventory moved."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from .base import Impact, Line, Payload, UtcTime, utcnow
from .windows import WindowView


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


class TenantChange(Payload):
    """A tenant that joined or left a window's affected set before it started, as the inventory changed."""

    tenant_id: Line
    change: Literal["joined", "left"]
    at: UtcTime
