"""Times and spans in a tenant's own zone and language (Babel), as the notice templates show them."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_datetime
from babel.dates import format_timedelta

from forewarn.schemas.impact import TenantImpact
from forewarn.schemas.windows import WindowView

from ..common import rolling
from ..common.hostnames import fold
from ..ical.series import remaining
from .notice import Notice, is_master

# Ending a minute or two late is on time; say so only past this.
OVERRUN_SHOWN = timedelta(minutes=5)


def local_time(value: datetime, zone: str, locale: str, *, seconds: bool = False) -> str:
    """'tis 1 dec. 22:00 CET' in the tenant's zone and language; with seconds, '22:00:30'."""
    tz = ZoneInfo(zone)
    pattern = "EEE d MMM yyyy HH:mm:ss" if seconds else "EEE d MMM yyyy HH:mm"
    shown = babel_datetime(value, pattern, tzinfo=tz, locale=locale)
    return f"{shown} {value.astimezone(tz).tzname()}"


def moved(old: datetime, new: datetime, zone: str, locale: str) -> dict[str, str]:
    """The old and new start, to the minute; to the second when only the seconds changed."""
    shown = {"old": local_time(old, zone, locale), "new": local_time(new, zone, locale)}
    if shown["old"] == shown["new"]:
        shown = {
            "old": local_time(old, zone, locale, seconds=True),
            "new": local_time(new, zone, locale, seconds=True),
        }
    return shown


def extended(old: datetime, new: datetime, zone: str, locale: str) -> dict[str, str]:
    """The new end, and by how much it moved: 'extended by 30 minutes', or shortened."""
    return {
        "end": local_time(new, zone, locale),
        "by": exact_duration(abs(new - old), locale),
        "change": "longer" if new > old else "shorter",
    }


def exact_duration(delta: timedelta, locale: str) -> str:
    """'1 hour 30 minutes': Babel alone rounds 90 minutes to '2 hours', which no extension may say."""
    minutes = round(delta.total_seconds() / 60)
    if minutes == 0:
        return format_timedelta(delta, locale=locale, granularity="second")
    hours, minutes = divmod(minutes, 60)
    parts = [(timedelta(hours=hours), "hour"), (timedelta(minutes=minutes), "minute")]
    return " ".join(
        format_timedelta(part, locale=locale, granularity=unit, threshold=10**6)
        for part, unit in parts
        if part
    )


def ran(window: WindowView, zone: str, locale: str) -> dict[str, str | None] | None:
    """When the work really ran, and by how much it overran the plan, in the tenant's words."""
    if not (window.started_at and window.ended_at):
        return None
    overrun = window.ended_at - window.end
    return span(window.started_at, window.ended_at, zone, locale) | {
        "overrun": format_timedelta(overrun, locale=locale) if overrun >= OVERRUN_SHOWN else None,
    }


def slots(window: WindowView, tenant: TenantImpact, zone: str, locale: str) -> list[dict[str, object]]:
    """A rolling window's slots for the tenant's hosts, in its words: number, hosts, times."""
    return [
        {"number": b.number, "hosts": fold(b.hosts), **span(b.start, b.end, zone, locale)}
        for b in rolling.tenant_batches(window, tenant)
    ]


def series_words(notice: Notice, zone: str, locale: str) -> dict[str, object] | None:
    """A series in the tenant's words: each occurrence and each skipped date, or this occurrence."""
    series = notice.window.series
    if series is None:
        return None
    if not is_master(notice):
        return {
            "occurrence": local_time(series.recurrence_id.start, zone, locale),
            "occurrences": [],
            "skipped": [],
        }
    return {
        "occurrence": None,
        "occurrences": [local_time(o.start, zone, locale) for o in remaining(series)],
        "skipped": [(local_time(s.start, zone, locale), s.reason) for s in series.skipped],
    }


def span(start: datetime, end: datetime, zone: str, locale: str) -> dict[str, str | None]:
    """A stretch of time in the tenant's zone and words, and in UTC."""
    return {
        "local": f"{local_time(start, zone, locale)} – {local_time(end, zone, locale)}",
        "utc": f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC",
    }
