"""Recurring windows at the terminal: the rule a booking gives, read as the operator means it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from .common import fail, parse_time, zone

_TIME_OF_DAY = re.compile(r"^\d{1,2}:\d\d(:\d\d)?$")
_ENDS = re.compile(r"(^|;)(COUNT|UNTIL)=", re.IGNORECASE)


def first_start(start: str, tz: str | None, *, today: date | None = None) -> datetime:
    """Where a series starts looking: a time of day (22:00) means from today at that time in --tz."""
    if not _TIME_OF_DAY.match(start.strip()):
        return parse_time("--start", start, tz)
    if not tz:
        fail("--tz", "a series needs the zone its rule is read in, e.g. --tz Europe/Stockholm")
    local = zone(tz)
    day = today or datetime.now(local).date()
    return datetime.combine(day, time.fromisoformat(start.strip()), tzinfo=local).astimezone(UTC)


def rule(rrule: str, tz: str | None, count: int | None, until: str | None) -> dict[str, str]:
    """The recurrence of a booking: the RRULE with its end, and its zone."""
    if not tz:
        fail("--tz", "a series needs the zone its rule is read in, e.g. --tz Europe/Stockholm")
    text = rrule.strip().removeprefix("RRULE:")
    if count is not None and until is not None:
        fail("--count", "give either --count or --until, not both")
    if _ENDS.search(text) and (count is not None or until is not None):
        fail("--rrule", "the rule already has COUNT or UNTIL: leave out --count and --until")
    if count is not None:
        if count < 1:
            fail("--count", "must be at least 1")
        text += f";COUNT={count}"
    elif until is not None:
        text += f";UNTIL={_until(until, tz):%Y%m%dT%H%M%SZ}"
    elif not _ENDS.search(text):
        fail("--count", "a series must end: give --count or --until")
    return {"rrule": text, "timezone": tz}


def _until(text: str, tz: str) -> datetime:
    """The last moment of a date in the zone (or an exact time), in UTC, as RRULE's UNTIL wants it."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return parse_time("--until", text, tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone(tz)) - timedelta(seconds=1)
    return end.astimezone(UTC)
