"""A tenant's calendar feed: its current and upcoming windows, cancellations included."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from forewarn.schemas.base import utcnow
from forewarn.schemas.events import TenantImpact

from ..inventory.models import Tenant, UnknownTenant
from ..scheduler import queries
from .invitation import Organizer, feed_calendar

# Windows that ended longer ago than this drop out of the feed.
KEEP_PAST = timedelta(days=7)


def tenant_feed(engine: Engine, tenant_id: str, *, provider: str, organizer: str) -> bytes:
    """The tenant's feed, computed from the store so it is never stale."""
    with Session(engine) as session:
        tenant = session.get(Tenant, tenant_id)
        if tenant is None:
            raise UnknownTenant(tenant_id)
        windows = queries.tenant_windows(session, tenant_id, ended_after=utcnow() - KEEP_PAST)
    entries = [
        (
            window,
            # The feed holds no contacts: it is read by calendar apps, not sent.
            TenantImpact(
                tenant_id=tenant.id,
                name=tenant.name,
                timezone=tenant.timezone,
                locale=tenant.locale,
                contacts=[],
                resources=resources,
                impact=window.impact,
            ),
        )
        for window, resources in windows
    ]
    return feed_calendar(
        f"{provider} maintenance for {tenant.name}", entries, Organizer(provider, organizer), stamp=utcnow()
    )
