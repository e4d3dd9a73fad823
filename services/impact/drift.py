"""Drift: the inventory changed under a scheduled window, so its affected set may have.

The resolver remembers whom each scheduled window affects as they were last
told (`record`). A change to the inventory sets a short timer for the windows
on the hosts it touched; when it fires, `compare` resolves the window again and
finds who joined and who left. Only they are told, and `settle` makes the new
set the one last told. Plain functions on an engine: the service calls them,
tests call them without a bus.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlmodel import Session

from forewarn.schemas.base import WindowState, utcnow
from forewarn.schemas.windows import WindowView

from ..scheduler import queries
from .models import ImpactTenant, ImpactWindow
from .resolve import EncodedTenant, Resolution, resolve_hosts, tenants_without_resources

WINDOW = ImpactWindow.__table__
TENANT = ImpactTenant.__table__


@dataclass(frozen=True)
class Drift:
    """Who joined and who left one scheduled window's revision, as this check found them."""

    window: WindowView
    drift: int
    found: Resolution
    joined: list[EncodedTenant]
    left: list[EncodedTenant]


def record(engine: Engine, window: WindowView, tenant_ids: set[str]) -> None:
    """Remember whom this revision of a scheduled window affects, unless a later revision is remembered."""
    with engine.begin() as conn:
        stored = conn.execute(select(WINDOW.c.revision).where(WINDOW.c.window_id == window.id)).scalar()
        if stored is not None and stored > window.revision:
            return  # an older revision's resolution finished late: the newer one holds
        conn.execute(delete(WINDOW).where(WINDOW.c.window_id == window.id))
        conn.execute(
            insert(WINDOW).values(window_id=window.id, revision=window.revision, drift=0, updated_at=utcnow())
        )
        _replace_tenants(conn, window.id, tenant_ids)


def forget(engine: Engine, window_id: str) -> None:
    """The window started or ended: its affected set no longer drifts."""
    with engine.begin() as conn:
        conn.execute(delete(TENANT).where(TENANT.c.window_id == window_id))
        conn.execute(delete(WINDOW).where(WINDOW.c.window_id == window_id))


def windows_on(engine: Engine, hosts: list[str]) -> list[tuple[str, int]]:
    """The scheduled windows (id, revision) a change on these hosts may drift."""
    with Session(engine) as session:
        return queries.scheduled_on(session, hosts)


def compare(engine: Engine, window_id: str) -> Drift | None:
    """Who joined and left the window since its tenants were last told; None if nobody, or not ours to tell.

    Only a window still scheduled, whose current revision has been resolved,
    drifts: a newer revision's own resolution tells everyone anyway.
    """
    with Session(engine) as session:
        window = queries.window_view(session, window_id)
        conn = session.connection()
        told = conn.execute(select(WINDOW).where(WINDOW.c.window_id == window_id)).first()
        if (
            window is None
            or window.state is not WindowState.SCHEDULED
            or told is None
            or told.revision != window.revision
        ):
            return None
        before = set(conn.scalars(select(TENANT.c.tenant_id).where(TENANT.c.window_id == window_id)))
        found = resolve_hosts(conn, window.hosts, impact=window.impact.value)
        joined = sorted(set(found.tenants) - before)
        gone = sorted(before - set(found.tenants))
        if not joined and not gone:
            return None
        return Drift(
            window=window,
            drift=told.drift + 1,
            found=found,
            joined=[found.tenants[t] for t in joined],
            left=tenants_without_resources(conn, gone, impact=window.impact.value),
        )


def settle(engine: Engine, drift: Drift) -> None:
    """The drift was told: its set is now the one last told, and its number taken."""
    with engine.begin() as conn:
        done = conn.execute(
            update(WINDOW)
            .where(
                WINDOW.c.window_id == drift.window.id,
                WINDOW.c.revision == drift.window.revision,
                WINDOW.c.drift == drift.drift - 1,
            )
            .values(drift=drift.drift, updated_at=utcnow())
        )
        if done.rowcount:
            _replace_tenants(conn, drift.window.id, set(drift.found.tenants))


def slot(now: datetime, debounce: timedelta) -> tuple[int, datetime]:
    """The time slot a change falls in, and when the slot's check fires: one slot after its end.

    Every change in one slot sets the same timer (one message id), so a burst
    of changes is checked once, between one and two slots after its first
    change. Never sooner: the inventory publishes a change just before it
    writes it (so that a crash between the two repeats both), and the check
    must read the store after the write.
    """
    width = max(debounce.total_seconds(), 1.0)
    number = int(now.timestamp() // width)
    return number, datetime.fromtimestamp((number + 2) * width, tz=now.tzinfo)


def _replace_tenants(conn: Connection, window_id: str, tenant_ids: set[str]) -> None:
    conn.execute(delete(TENANT).where(TENANT.c.window_id == window_id))
    if tenant_ids:
        conn.execute(insert(TENANT), [{"window_id": window_id, "tenant_id": t} for t in sorted(tenant_ids)])
