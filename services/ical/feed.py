"""Calendars to subscribe to: a tenant's feed of its current and upcoming windows (cancellations
included), and the public VEVENT of a window, which names no tenant."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from icalendar import Event
from sqlalchemy import Engine
from sqlmodel import Session

from forewarn.schemas.base import utcnow
from forewarn.schemas.impact import TenantImpact
from forewarn.schemas.windows import WindowView

from ..inventory.models import Tenant, UnknownTenant
from ..scheduler import queries
from .invitation import Organizer, build_event, finish_event, location_of, window_event
from .text import new_calendar, serialize

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


def feed_calendar(
    name: str, entries: Iterable[tuple[WindowView, TenantImpact]], organizer: Organizer, *, stamp: datetime
) -> bytes:
    """A tenant's subscribable calendar: one event per window, updated in place as windows change.

    A feed is read, not acted on: no METHOD, and no attendees to reveal.
    """
    calendar = new_calendar(name=name)
    for window, tenant in entries:
        calendar.add_component(
            build_event(
                window,
                tenant,
                organizer,
                location=location_of(window),
                mode="notice",
                stamp=stamp,
                recurring=False,
            )
        )
    return serialize(calendar)


def public_event(window: WindowView, organizer: Organizer, *, location: str, stamp: datetime) -> Event:
    """A window's VEVENT for everyone: the window's own impact, and no tenant, resource or host."""
    event = window_event(
        window,
        organizer,
        uid=f"{window.id}@{organizer.provider}",
        description=f"Impact: {window.impact.value} ({window.impact.plain}).",
        location=location,
        stamp=stamp,
    )
    event.add("x-maintnote-impact", window.impact.value)
    finish_event(event, window, organizer)
    return event
