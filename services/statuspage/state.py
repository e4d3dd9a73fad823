"""The status page's state: a projection of the maintenance stream, rebuilt from its start.

`StatusView.apply` takes the stream's messages in order and keeps two things
apart: public windows, which hold only what anyone may see (title, impact,
times, components, a timeline), and each tenant's affected resources, which
only that tenant's secret link shows. Everything comes from the events, time
stamps included, so a rebuild after a restart gives exactly the same view.

The view forgets a window some days after it ended (keeping at least the
latest KEEP_FINISHED, which the API and the feed list), so its size follows
how busy the operator is, not how long forewarn has run; `dump` and `restore`
carry it across a restart, so a start reads only the stream's tail.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import TypeAdapter, ValidationError

from forewarn.schemas import subjects
from forewarn.schemas.answers import ReplyReceived
from forewarn.schemas.base import WindowState
from forewarn.schemas.catalog import WINDOW_EVENTS
from forewarn.schemas.impact import ImpactResolved
from forewarn.schemas.windows import (
    WindowEvent,
    WindowExtended,
    WindowRescheduled,
    WindowScheduled,
    WindowView,
)

from ..common import rolling
from .model import (
    COMPONENT_STATUS,
    OPERATIONAL,
    SEVERITY,
    Change,
    ComponentKey,
    ComponentState,
    PublicWindow,
    TenantWindows,
    Update,
)
from .words import describe

log = logging.getLogger("forewarn.statuspage")

# The events that give tenants a new plan to answer.
PLAN_CHANGES = (WindowScheduled, WindowRescheduled, WindowExtended)

# Ended windows the view keeps whatever their age: as many as the API and the Atom feed list.
KEEP_FINISHED = 50
LIFECYCLE: dict[str, type[WindowEvent]] = {
    subject: model for model, subject in WINDOW_EVENTS.items() if issubclass(model, WindowEvent)
}


@dataclass
class Saved:
    """Everything a StatusView holds, as a snapshot stores it."""

    last_seq: int
    updated_at: datetime | None
    skipped: int
    components: list[ComponentState]
    windows: list[PublicWindow]
    views: list[WindowView]
    tenants: dict[str, TenantWindows]
    impact_revision: dict[str, int]


_SAVED = TypeAdapter(Saved)


class StatusView:
    """The projection; apply() every message of the stream in order."""

    def __init__(self, components: list[tuple[str, str]] | None = None, *, keep_days: int = 7) -> None:
        # Ended windows older than this (beyond the latest KEEP_FINISHED) leave the view.
        self.keep = timedelta(days=keep_days)
        self.components: dict[ComponentKey, ComponentState] = {}
        self.add_components(components or [])
        self.windows: dict[str, PublicWindow] = {}
        # Private: the full views (for tenants' calendars) and tenants' impact.
        self.views: dict[str, WindowView] = {}
        self.tenants: dict[str, TenantWindows] = {}
        self.impact_revision: dict[str, int] = {}
        self.last_seq = 0
        self.updated_at: datetime | None = None
        self.skipped = 0

    def dump(self) -> bytes:
        """The whole view, compressed, for a snapshot."""
        saved = Saved(
            last_seq=self.last_seq,
            updated_at=self.updated_at,
            skipped=self.skipped,
            components=list(self.components.values()),
            windows=list(self.windows.values()),
            views=list(self.views.values()),
            tenants=self.tenants,
            impact_revision=self.impact_revision,
        )
        return zlib.compress(_SAVED.dump_json(saved), 1)

    def restore(self, body: bytes) -> None:
        """Become the view a snapshot holds; components added since stay."""
        saved = _SAVED.validate_json(zlib.decompress(body))
        for component in saved.components:
            self.components[component.key] = component
        self.windows = {w.id: w for w in saved.windows}
        self.views = {v.id: v for v in saved.views}
        self.tenants, self.impact_revision = saved.tenants, saved.impact_revision
        self.last_seq, self.updated_at, self.skipped = saved.last_seq, saved.updated_at, saved.skipped

    def add_components(self, pairs: list[tuple[str, str]]) -> None:
        """Components known from the inventory, shown even before any window touches them."""
        for site, role in pairs:
            key = ComponentKey(site, role)
            self.components.setdefault(key, ComponentState(key))

    def apply(self, subject: str, data: bytes, seq: int) -> str | None:
        """Take one stream message; return the id of the window it changed, if any.

        Messages this page has no use for (commands, timers, notices) pass by,
        and so does anything malformed: the consumers that own those subjects
        dead-letter it, and the page must never stall on it.
        """
        if seq <= self.last_seq:
            return None
        self.last_seq = seq
        try:
            if subject in LIFECYCLE:
                event = LIFECYCLE[subject].model_validate_json(data)
                self._on_lifecycle(event, seq)
                return event.window.id
            if subject == subjects.IMPACT_RESOLVED:
                impact = ImpactResolved.model_validate_json(data)
                return impact.window.id if self._on_impact(impact) else None
            if subject == subjects.REPLY_RECEIVED:
                self._on_reply(ReplyReceived.model_validate_json(data))
        except ValidationError as exc:
            self.skipped += 1
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in first["loc"]) or "payload"
            log.warning(
                "status page skips message %s on %s: %s problem(s), first %s: %s; its consumers "
                "dead-letter it, and the page goes on with the next",
                seq,
                subject,
                exc.error_count(),
                where,
                first["msg"],
            )
        return None

    def _on_lifecycle(self, event: WindowEvent, seq: int) -> None:
        view = event.window
        at = event.occurred_at
        before = self.windows.get(view.id)
        if before is None:
            public = PublicWindow(
                id=view.id,
                title=view.title,
                impact=view.impact,
                state=view.state,
                start=view.start,
                end=view.end,
                started_at=view.started_at,
                ended_at=view.ended_at,
                components=tuple(sorted(ComponentKey(c.site, c.role) for c in view.components)),
                created_at=at,
                updated_at=at,
            )
            self.windows[view.id] = public
        else:
            public = before
            public.title, public.impact, public.state = view.title, view.impact, view.state
            public.start, public.end = view.start, view.end
            public.started_at, public.ended_at = view.started_at, view.ended_at
            public.updated_at = at
        public.hosts_done, public.hosts_total = rolling.progress(view)
        public.batches = len(view.batches)
        public.batches_done = rolling.batches_done(view)
        self.views[view.id] = view
        if isinstance(event, PLAN_CHANGES):
            public.plan_revision = view.revision
        for key in public.components:
            self.components.setdefault(key, ComponentState(key, created_at=at))
            if self.components[key].created_at is None:
                self.components[key].created_at = at
        changed = {c.key: c for c in self._recompute(public.components, at)}
        # Statuspage lists every affected component in each update, changed or not.
        changes = tuple(
            changed.get(key) or Change(key, self.components[key].status, self.components[key].status)
            for key in public.components
        )
        public.updates.append(
            Update(id=f"{view.id}-{seq}", status=public.status, body=describe(event), at=at, changes=changes)
        )
        self.updated_at = at
        if not view.state.live:
            self._forget_before(at - self.keep)

    def _forget_before(self, since: datetime) -> None:
        """Drop windows that ended before `since`, but for the latest KEEP_FINISHED."""
        ended = sorted(
            (w for w in self.windows.values() if w.finished_at),
            key=lambda w: (w.finished_at, w.id),
            reverse=True,
        )
        for window in ended[KEEP_FINISHED:]:
            if window.finished_at < since:
                del self.windows[window.id]
                self.views.pop(window.id, None)
                self.impact_revision.pop(window.id, None)
                for tenant in self.tenants.values():
                    tenant.windows.pop(window.id, None)
                    tenant.answers.pop(window.id, None)
        for tenant_id in [t for t, entry in self.tenants.items() if not entry.windows]:
            del self.tenants[tenant_id]

    def _recompute(self, keys: tuple[ComponentKey, ...], at: datetime) -> tuple[Change, ...]:
        """Set each component to the worst status among the windows running on it."""
        worst = {key: OPERATIONAL for key in keys}
        for window in self.windows.values():
            if window.state is not WindowState.IN_PROGRESS:
                continue
            for key in window.components:
                if key in worst:
                    worst[key] = max(worst[key], COMPONENT_STATUS[window.impact], key=SEVERITY.index)
        changes = []
        for key, status in worst.items():
            component = self.components[key]
            if component.status != status:
                changes.append(Change(key, component.status, status))
                component.status, component.updated_at = status, at
        return tuple(changes)

    def _on_impact(self, impact: ImpactResolved) -> bool:
        """Keep each tenant's part of the newest resolution of a window."""
        window_id, revision = impact.window.id, impact.window.revision
        if window_id not in self.windows and not impact.window.state.live:
            return False  # late news of a window the view already forgot
        known = self.impact_revision.get(window_id, 0)
        if revision < known:
            return False
        if revision > known:
            self.impact_revision[window_id] = revision
            for tenant in self.tenants.values():
                tenant.windows.pop(window_id, None)
        for tenant in impact.tenants:
            entry = self.tenants.setdefault(tenant.tenant_id, TenantWindows(tenant.name))
            entry.name = tenant.name
            # Contacts are not shown on any page: do not keep them.
            entry.windows[window_id] = tenant.model_copy(update={"contacts": []})
        for tenant in impact.left:  # a drift: their servers are no longer on the window's hosts
            if (gone := self.tenants.get(tenant.tenant_id)) is not None:
                gone.windows.pop(window_id, None)
        return True

    def _on_reply(self, reply: ReplyReceived) -> None:
        """Keep a tenant's latest answer to a window it is told of; who answered stays off the page."""
        tenant = self.tenants.get(reply.tenant_id)
        if tenant is None or reply.window_id not in self.windows:
            return
        before = tenant.answers.get(reply.window_id)
        if before is None or before.occurred_at <= reply.occurred_at:
            tenant.answers[reply.window_id] = reply.model_copy(update={"contact": ""})

    # Queries ------------------------------------------------------------

    def in_progress(self) -> list[PublicWindow]:
        return sorted((w for w in self.windows.values() if w.state is WindowState.IN_PROGRESS), key=_by_start)

    def upcoming(self) -> list[PublicWindow]:
        return sorted((w for w in self.windows.values() if w.state is WindowState.SCHEDULED), key=_by_start)

    def recent(self, now: datetime, days: int, state: WindowState) -> list[PublicWindow]:
        """Windows that ended in this state (completed, or cancelled) in the last `days`, newest first."""
        since = now - timedelta(days=days)
        ended = [w for w in self.windows.values() if w.state is state and (w.finished_at or now) >= since]
        return sorted(ended, key=lambda w: w.finished_at or now, reverse=True)

    def component_list(self) -> list[ComponentState]:
        return [self.components[key] for key in sorted(self.components)]

    def first_event_at(self) -> datetime | None:
        return min((w.created_at for w in self.windows.values()), default=None)


def _by_start(window: PublicWindow) -> tuple[datetime, str]:
    return window.start, window.id
