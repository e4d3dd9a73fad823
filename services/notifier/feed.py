"""A tenant's calendar feed: its current and upcoming windows, cancellations included."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select
from sqlmodel import Session

from forewarn.schemas.base import utcnow
from forewarn.schemas.events import AffectedResource, TenantImpact

from ..inventory.models import Resource, Tenant
from ..scheduler.lifecycle import hosts_of, view
from ..scheduler.models import Window, WindowHost
from .invitation import Organizer, build_event, new_calendar

# Windows that ended longer ago than this drop out of the feed.
KEEP_PAST = timedelta(days=7)


class UnknownTenant(LookupError):
    """No tenant with that id in the inventory."""


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
    calendar = new_calendar(name=f"{provider} maintenance for {tenant.name}")
    stamp = utcnow()
    sender = Organizer(provider, organizer)
    for window_id, (window, resources) in mine.items():
        seen = views[window_id]
        # A feed is read, not acted on: no METHOD, and no attendees to reveal.
        impact = TenantImpact(
            tenant_id=tenant.id,
            name=tenant.name,
            timezone=tenant.timezone,
            locale=tenant.locale,
            contacts=[],
            resources=resources,
            impact=seen.impact,
        )
        location = ", ".join(window.sites)
        calendar.add_component(
            build_event(seen, impact, sender, location=location, mode="notice", stamp=stamp)
        )
    return calendar.to_ical()
