"""The status page's read model: what the public sees of a window and a component, and what
each tenant's own link shows. state.py keeps it current from the stream."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from forewarn.schemas.answers import ReplyReceived
from forewarn.schemas.base import Impact, WindowState
from forewarn.schemas.impact import TenantImpact

# Statuspage's component statuses, mildest first; while windows overlap the worst one shows.
OPERATIONAL = "operational"
SEVERITY = (OPERATIONAL, "degraded_performance", "partial_outage", "major_outage", "under_maintenance")
# What a running window does to its components, by its impact.
COMPONENT_STATUS = {
    Impact.OUTAGE: "under_maintenance",
    Impact.DEGRADED: "degraded_performance",
    Impact.REDUCED_REDUNDANCY: OPERATIONAL,
    Impact.NO_IMPACT: OPERATIONAL,
}


@dataclass(frozen=True, order=True)
class ComponentKey:
    """A (site, role) pair the public sees."""

    site: str
    role: str

    @property
    def id(self) -> str:
        return f"{self.site}-{self.role}".lower()

    @property
    def name(self) -> str:
        # Short roles are acronyms (GPU); longer ones are words (Compute, Storage).
        role = self.role.upper() if len(self.role) <= 3 else self.role.replace("-", " ").title()
        return f"{self.site.upper()} {role}"


@dataclass
class ComponentState:
    key: ComponentKey
    status: str = OPERATIONAL
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Change:
    """A component's status before and after one update."""

    key: ComponentKey
    old: str
    new: str


@dataclass(frozen=True)
class Update:
    """One entry of a window's public timeline."""

    id: str
    status: str
    body: str
    at: datetime
    changes: tuple[Change, ...]


@dataclass
class PublicWindow:
    """A window as the public sees it: no hosts, tenants, description or requester."""

    id: str
    title: str
    impact: Impact
    state: WindowState
    start: datetime
    end: datetime
    started_at: datetime | None
    ended_at: datetime | None
    components: tuple[ComponentKey, ...]
    created_at: datetime
    updated_at: datetime
    updates: list[Update] = field(default_factory=list)
    # The revision of its latest booking, move or extension: answers to an earlier one are stale.
    plan_revision: int = 0
    # A rolling window's progress: hosts done of hosts in all, batches done of batches (0 if not rolling).
    hosts_done: int = 0
    hosts_total: int = 0
    batches_done: int = 0
    batches: int = 0

    @property
    def status(self) -> str:
        """Statuspage's maintenance status; a cancelled window is over, like a completed one."""
        return {WindowState.SCHEDULED: "scheduled", WindowState.IN_PROGRESS: "in_progress"}.get(
            self.state, "completed"
        )

    @property
    def finished_at(self) -> datetime | None:
        return self.ended_at or (self.updated_at if not self.state.live else None)


@dataclass
class TenantWindows:
    """What one tenant loses in each window, from the latest impact resolution, and its latest answers."""

    name: str
    windows: dict[str, TenantImpact] = field(default_factory=dict)
    # The tenant's latest answer to each window, without the contact who gave it.
    answers: dict[str, ReplyReceived] = field(default_factory=dict)
