"""What other services may read of the scheduler's store: windows as WindowView, their hosts, revisions.

The scheduler writes its tables; the notifier, the calendar feeds and the CLI
read them only through these functions, so the tables can change without them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import object_session
from sqlmodel import Session

from forewarn.schemas.base import WindowState
from forewarn.schemas.impact import AffectedResource
from forewarn.schemas.windows import Component, Occurrence, SeriesView, WindowView

from ..inventory.models import Resource
from ..platform.db import in_chunks
from .models import Window, WindowEventRecord, WindowHost, WindowSeries


def hosts_of(session: Session, window_id: str) -> list[str]:
    """The hosts a window covers, sorted."""
    return list(
        session.scalars(
            select(WindowHost.host).where(WindowHost.window_id == window_id).order_by(WindowHost.host)
        )
    )


def view(window: Window, hosts: list[str]) -> WindowView:
    """The public shape of a stored window (read while the window's session is open)."""
    return WindowView(
        id=window.id,
        title=window.title,
        description=window.description,
        impact=window.impact,
        state=window.state,
        start=window.start,
        end=window.end,
        revision=window.revision,
        hosts=hosts,
        components=[Component(**c) for c in window.components],
        requested_by=window.requested_by,
        started_at=window.started_at,
        ended_at=window.ended_at,
        batches=window.batches,
        series=_series(window),
    )


def _series(window: Window) -> SeriesView | None:
    """The series a window is an occurrence of, as its VEVENTs need it."""
    if window.series_id is None:
        return None
    session = object_session(window)
    series = session.get(WindowSeries, window.series_id) if session else None
    if series is None or window.recurrence_id is None or window.recurrence_local is None:
        return None
    starts = session.execute(
        select(Window.recurrence_id, Window.recurrence_local)
        .where(Window.series_id == series.id)
        .order_by(Window.recurrence_id)
    )
    return SeriesView(
        id=series.id,
        rrule=series.rrule,
        timezone=series.timezone,
        first=Occurrence(start=series.first_start, local=series.first_local),
        duration=timedelta(seconds=series.duration_s),
        sequence=series.sequence,
        occurrences=[Occurrence(start=start, local=local) for start, local in starts],
        skipped=series.skipped,
        recurrence_id=Occurrence(start=window.recurrence_id, local=window.recurrence_local),
        lead=series.lead_window_id == window.id,
        cut=series.cut,
        replaced_by=series.replaced_by,
    )


def current_revision(engine: Engine, window_id: str) -> int | None:
    """The window's revision in the scheduler's store; None if it is not there."""
    with Session(engine) as session:
        return session.execute(select(Window.revision).where(Window.id == window_id)).scalar_one_or_none()


def tenant_windows(
    session: Session, tenant_id: str, *, ended_after: datetime
) -> list[tuple[WindowView, list[AffectedResource]]]:
    """The windows that hit a tenant's resources and end after a time, soonest first, with those resources."""
    rows = session.execute(
        select(Window, Resource)
        .join(WindowHost, WindowHost.window_id == Window.id)
        .join(Resource, Resource.host == WindowHost.host)
        .where(Resource.tenant == tenant_id, Window.end > ended_after)
        .order_by(Window.start, Resource.id)
    ).all()
    mine: dict[str, tuple[Window, list[AffectedResource]]] = {}
    for window, resource in rows:
        entry = mine.setdefault(window.id, (window, []))
        entry[1].append(
            AffectedResource(id=resource.id, name=resource.name, kind=resource.kind, host=resource.host)
        )
    return [(view(window, hosts_of(session, wid)), resources) for wid, (window, resources) in mine.items()]


def scheduled_on(session: Session, hosts: list[str]) -> list[tuple[str, int]]:
    """The scheduled windows (id, revision) that hold any of these hosts and have not started."""
    found: dict[str, int] = {}
    for chunk in in_chunks(sorted(set(hosts))):
        rows = session.execute(
            select(Window.id, Window.revision)
            .join(WindowHost, WindowHost.window_id == Window.id)
            .where(WindowHost.host.in_(chunk), Window.state == WindowState.SCHEDULED)
        )
        found.update((window_id, revision) for window_id, revision in rows)
    return sorted(found.items())


def window_view(session: Session, window_id: str) -> WindowView | None:
    """A stored window as WindowView, or None if it is not there."""
    window = session.get(Window, window_id)
    return None if window is None else view(window, hosts_of(session, window_id))


def live_revisions(session: Session) -> dict[str, int]:
    """Each window not yet ended (scheduled or in progress), with its current revision."""
    live = (WindowState.SCHEDULED, WindowState.IN_PROGRESS)
    return dict(
        session.execute(select(Window.id, Window.revision).where(Window.state.in_(live))).tuples().all()
    )


# The events that change what tenants are asked to plan around (their times); a
# start, a completion or a cancellation raises the revision without a new plan.
PLAN_CHANGES = ("scheduled", "rescheduled", "extended")


def plan_revision(session: Session, window_id: str) -> int:
    """The revision of a window's current plan: the latest booking, move or extension; 0 if none."""
    found = session.execute(
        select(func.max(WindowEventRecord.revision)).where(
            WindowEventRecord.window_id == window_id, WindowEventRecord.kind.in_(PLAN_CHANGES)
        )
    ).scalar()
    return found or 0
