"""Feeds for subscribers: Atom for readers, iCalendar for calendar apps."""

from __future__ import annotations

from datetime import datetime, timedelta

from feedgen.feed import FeedGenerator

from forewarn.schemas.base import printable, utcnow
from forewarn.schemas.impact import TenantImpact

from ..ical.feed import feed_calendar, public_event
from ..ical.invitation import Organizer, location_of
from ..ical.text import new_calendar, serialize
from .model import PublicWindow
from .state import StatusView
from .words import WORDS

MAX_ENTRIES = 50


def atom(view: StatusView, *, url: str, name: str) -> bytes:
    """Every recently changed window as one entry, its timeline as the content."""
    feed = FeedGenerator()
    feed.id(f"{url}/feed.atom")
    feed.title(f"{name}: maintenance")
    feed.subtitle("Planned maintenance: scheduled, in progress and completed.")
    feed.link(href=f"{url}/", rel="alternate")
    feed.link(href=f"{url}/feed.atom", rel="self")
    feed.language("en")
    if view.updated_at:
        feed.updated(view.updated_at)
    latest = sorted(view.windows.values(), key=lambda w: (w.updated_at, w.id), reverse=True)
    for window in reversed(latest[:MAX_ENTRIES]):  # feedgen prepends
        entry = feed.add_entry()
        entry.id(f"{url}/windows/{window.id}")
        # lxml refuses a control character outright: one title would break the feed for everyone.
        entry.title(printable(f"{WORDS['state'][window.state.value]}: {window.title}"))
        entry.link(href=f"{url}/windows/{window.id}")
        entry.published(window.created_at)
        entry.updated(window.updated_at)
        timeline = [f"{u.at:%Y-%m-%d %H:%M} UTC: {u.body}" for u in reversed(window.updates)]
        entry.content(printable("\n".join(timeline), multiline=True), type="text")
    return feed.atom_str(pretty=True)


def shown(window: PublicWindow, now: datetime, recent_days: int) -> bool:
    """Live windows, and those ended in the last `recent_days`: what calendars and tenant pages hold."""
    return window.state.live or (window.finished_at or window.end) >= now - timedelta(days=recent_days)


def public_calendar(view: StatusView, organizer: Organizer, *, name: str, recent_days: int) -> bytes:
    """All windows, without any tenant data."""
    calendar = new_calendar(name=f"{name}: maintenance")
    now = utcnow()
    for window_id, window in view.windows.items():
        if shown(window, now, recent_days):
            full = view.views[window_id]
            calendar.add_component(public_event(full, organizer, location=location_of(full), stamp=now))
    return serialize(calendar)


def tenant_windows(view: StatusView, tenant_id: str, recent_days: int) -> list[tuple[str, TenantImpact]]:
    """The windows a tenant's page and calendar hold, each with the tenant's own impact in it."""
    now = utcnow()
    mine = view.tenants.get(tenant_id)
    return [
        (window_id, impact)
        for window_id, impact in (mine.windows.items() if mine else [])
        if window_id in view.windows and shown(view.windows[window_id], now, recent_days)
    ]


def tenant_calendar(
    view: StatusView, tenant_id: str, organizer: Organizer, *, name: str, recent_days: int
) -> bytes:
    """One tenant's windows, with its own affected resources in each."""
    entries = [
        (view.views[window_id], impact) for window_id, impact in tenant_windows(view, tenant_id, recent_days)
    ]
    return feed_calendar(f"{organizer.provider} maintenance for {name}", entries, organizer, stamp=utcnow())
