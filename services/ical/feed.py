"""A tenant's calendar feed: its current and upcoming windows, cancellations included."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select
from sqlmodel import Session

from forewarn.schemas.base import utcnow
from forewarn.schemas.events import AffectedResource, TenantImpact

from ..inventory.models import Resource, Tenant, UnknownTenant
from ..scheduler.lifecycle import hosts_of, view
from ..scheduler.models import Window, WindowHost
from .invitation import Organizer, feed_calendar

# Windows that ended longer ago than this drop out of the feed.
KEEP_PAST = timedelta(days=7)


def tenant_feed(engine: Engine, tenant_id: str, *, provider: str, organizer: str) -> bytes:
    """The tenant's feed, computed from the store so it is never stale."""
    with Session(engine) as session:
        tenant = session.get(Tenant, tenant_id)
        if tenant is None:
            raise UnknownTenant(tenant_id)
        rows = session.execute(
            select(Window, Resource)
            .join(WindowHost, WindowHost.window_id == Window.id)
            .join(Resource, Resource.host == WindowHost.host)
            .where(Resource.tenant == tenant_id, Window.end > utcnow() - KEEP_PAST)
            .order_by(Window.start, Resource.id)
        ).all()
        mine: dict[str, tuple[Window, list[AffectedResource]]] = {}
        for window, resource in rows:
            entry = mine.setdefault(window.id, (window, []))
            entry[1].append(
                AffectedResource(id=resource.id, name=resource.name, kind=resource.kind, host=resource.host)
            )
        views = {wid: view(window, hosts_of(session, wid)) for wid, (window, _) in mine.items()}
    entries = [
        (
            views[window_id],
            # The feed holds no contacts: it is read by calendar apps, not sent.
            TenantImpact(
                tenant_id=tenant.id,
                name=tenant.name,
                timezone=tenant.timezone,
                locale=tenant.locale,
                contacts=[],
                resources=resources,
                impact=views[window_id].impact,
            ),
        )
        for window_id, (_, resources) in mine.items()
    ]
    return feed_calendar(
        f"{provider} maintenance for {tenant.name}", entries, Organizer(provider, organizer), stamp=utcnow()
    )
