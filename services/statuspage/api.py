"""The public API in Atlassian Statuspage's v2 shapes, so existing widgets and clients read it.

Field names and values follow Statuspage's public v2 API. Only public data
goes in: sites, components, titles, times, impact and status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from forewarn.schemas.base import Impact

from .model import ComponentState, PublicWindow, Update
from .state import StatusView

# A maintenance's `impact`, from the window's MAINT-NOTE impact.
IMPACT = {
    Impact.OUTAGE: "major",
    Impact.DEGRADED: "minor",
    Impact.REDUCED_REDUNDANCY: "none",
    Impact.NO_IMPACT: "none",
}
PAGE_ID = "forewarn"
MAX_LISTED = 50


def iso(at: datetime | None) -> str | None:
    """Statuspage's time format: ISO 8601 with offset, in UTC, to the millisecond."""
    return at.isoformat(timespec="milliseconds") if at else None


@dataclass(frozen=True)
class Page:
    """Who the page is: its name and public address."""

    name: str
    url: str


class StatusApi:
    """Statuspage v2 documents from the current view."""

    def __init__(self, view: StatusView, page: Page) -> None:
        self.view = view
        self.page_info = page

    def page(self) -> dict[str, Any]:
        return {
            "id": PAGE_ID,
            "name": self.page_info.name,
            "url": self.page_info.url,
            "time_zone": "Etc/UTC",
            "updated_at": iso(self.view.updated_at),
        }

    def status(self) -> dict[str, str]:
        if self.view.in_progress():
            return {"indicator": "maintenance", "description": "Service Under Maintenance"}
        return {"indicator": "none", "description": "All Systems Operational"}

    def component(self, state: ComponentState, position: int) -> dict[str, Any]:
        since = state.created_at or self.view.first_event_at()
        return {
            "id": state.key.id,
            "name": state.key.name,
            "status": state.status,
            "created_at": iso(since),
            "updated_at": iso(state.updated_at or since),
            "position": position,
            "description": None,
            "showcase": True,
            "start_date": None,
            "group_id": None,
            "page_id": PAGE_ID,
            "group": False,
            "only_show_if_degraded": False,
        }

    def components(self) -> list[dict[str, Any]]:
        return [self.component(state, n) for n, state in enumerate(self.view.component_list(), start=1)]

    def maintenance(self, window: PublicWindow) -> dict[str, Any]:
        positions = {state.key: n for n, state in enumerate(self.view.component_list(), start=1)}
        return {
            "id": window.id,
            "name": window.title,
            "status": window.status,
            "created_at": iso(window.created_at),
            "updated_at": iso(window.updated_at),
            "monitoring_at": None,
            "resolved_at": iso(window.finished_at),
            "impact": IMPACT[window.impact],
            "shortlink": f"{self.page_info.url}/windows/{window.id}",
            "started_at": iso(window.started_at or window.start),
            "page_id": PAGE_ID,
            # Newest first, as Statuspage lists them.
            "incident_updates": [self._update(window, u) for u in reversed(window.updates)],
            "components": [
                self.component(self.view.components[key], positions[key]) for key in window.components
            ],
            "scheduled_for": iso(window.start),
            "scheduled_until": iso(window.end),
        } | self._progress(window)

    @staticmethod
    def _progress(window: PublicWindow) -> dict[str, Any]:
        """Not Statuspage's own field, so only on a rolling window: how far its work has got.

        Every progress step is also an incident update, whose body says it in words.
        """
        if not window.batches:
            return {}
        return {
            "progress": {
                "hosts_done": window.hosts_done,
                "hosts": window.hosts_total,
                "batches_done": window.batches_done,
                "batches": window.batches,
            }
        }

    def _update(self, window: PublicWindow, update: Update) -> dict[str, Any]:
        return {
            "id": update.id,
            "status": update.status,
            "body": update.body,
            "incident_id": window.id,
            "created_at": iso(update.at),
            "updated_at": iso(update.at),
            "display_at": iso(update.at),
            "affected_components": [
                {"code": c.key.id, "name": c.key.name, "old_status": c.old, "new_status": c.new}
                for c in update.changes
            ],
            "deliver_notifications": True,
        }

    def all_maintenances(self) -> list[dict[str, Any]]:
        """The most recent windows of every status, latest start first."""
        latest = sorted(self.view.windows.values(), key=lambda w: (w.start, w.id), reverse=True)
        return [self.maintenance(w) for w in latest[:MAX_LISTED]]

    def upcoming(self) -> list[dict[str, Any]]:
        return [self.maintenance(w) for w in self.view.upcoming()]

    def active(self) -> list[dict[str, Any]]:
        return [self.maintenance(w) for w in self.view.in_progress()]

    def summary(self) -> dict[str, Any]:
        return {
            "page": self.page(),
            "components": self.components(),
            "incidents": [],
            "scheduled_maintenances": self.active() + self.upcoming(),
            "status": self.status(),
        }

    def document(self, name: str) -> dict[str, Any] | None:
        """One of the v2 endpoints by its path under /api/v2/, or None."""
        if name == "summary.json":
            return self.summary()
        parts = {
            "status.json": ("status", self.status),
            "components.json": ("components", self.components),
            "scheduled-maintenances.json": ("scheduled_maintenances", self.all_maintenances),
            "scheduled-maintenances/upcoming.json": ("scheduled_maintenances", self.upcoming),
            "scheduled-maintenances/active.json": ("scheduled_maintenances", self.active),
        }
        if name not in parts:
            return None
        key, build = parts[name]
        return {"page": self.page(), key: build()}
