"""A series' VEVENTs: one recurring VEVENT per tenant, and an override per occurrence that differs.

Times are given in the series' zone (TZID, with its VTIMEZONE), so the rule
keeps the local time across DST. Readers disagree on a local time a DST change
skips or repeats (02:30 on the last Sunday of March or October in Stockholm)
and on the length of one that spans a change: each such occurrence is also sent as an
override whose DTSTART and DTEND are in UTC, which every reader places alike.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from ical.calendar import Calendar as IcalCalendar
from ical.calendar_stream import IcsCalendarStream
from ical.timezone import Timezone as IcalTimezone
from icalendar import Calendar, Event, Timezone, vRecur

from forewarn.schemas.windows import Occurrence, SeriesView, WindowView

# The properties only the recurring VEVENT has: an override of one occurrence drops them.
RULE_ONLY = ("RRULE", "EXDATE", "DTSTART", "DTEND", "SEQUENCE")


def recurring(event: Event, window: WindowView, uid: str, *, master: bool) -> None:
    """Make an occurrence's VEVENT its series' recurring VEVENT (master) or the occurrence's override.

    The master's SEQUENCE is the series'; an override's is the series' raised by
    each change to the occurrence, so it never falls below the master's.
    """
    series = _series(window)
    tz = ZoneInfo(series.timezone)
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    for name in ("UID", "DTSTART", "DTEND", "SEQUENCE"):
        del event[name]
    event.add("uid", uid)
    if master:
        # DTEND, not DURATION: MAINT-NOTE asks for it, and its parsers read it.
        event.add("dtstart", _local(series.first, tz))
        event.add("dtend", _local(series.first, tz) + series.duration)
        event.add("rrule", vRecur.from_ical(series.rrule))
        for left_out in series.skipped:
            event.add("exdate", _local(left_out, tz))
        event.add("sequence", series.sequence)
        return
    event.add("recurrence-id", _local(series.recurrence_id, tz))
    if unclear(series.recurrence_id, series.duration, tz):
        event.add("dtstart", start)
        event.add("dtend", end)
    else:
        event.add("dtstart", start.astimezone(tz))
        event.add("dtend", end.astimezone(tz))
    event.add("sequence", series.sequence + window.revision - 1)


def finish_calendar(calendar: Calendar, window: WindowView, *, master: bool) -> None:
    """The series' VTIMEZONE, and with the recurring VEVENT the overrides of the occurrences readers
    would otherwise place differently."""
    series = _series(window)
    tz = ZoneInfo(series.timezone)
    if master:
        [event] = calendar.walk("VEVENT")
        for found in remaining(series):
            if unclear(found, series.duration, tz):
                calendar.add_component(_pinned(event, found, series.duration, tz))
    calendar.subcomponents.insert(0, vtimezone(series.timezone))


def unclear(occurrence: Occurrence, duration: timedelta, tz: ZoneInfo) -> bool:
    """Whether readers would place this occurrence differently from the rule's local time alone:
    the time does not exist that night or exists twice, or its span crosses a change of offset."""
    local = datetime.fromisoformat(occurrence.local)
    first, second = local.replace(tzinfo=tz, fold=0), local.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset():
        return True
    start = occurrence.start.astimezone(tz)
    return start.utcoffset() != (occurrence.start + duration).astimezone(tz).utcoffset()


def _pinned(master: Event, occurrence: Occurrence, duration: timedelta, tz: ZoneInfo) -> Event:
    """An override of one occurrence as the rule gives it, its times pinned in UTC."""
    override = Event()
    for name, value in master.property_items(recursive=False, sorted=False):
        if name not in ("BEGIN", "END", *RULE_ONLY):
            override.add(name, value, encode=False)
    override.add("recurrence-id", _local(occurrence, tz))
    override.add("dtstart", occurrence.start)
    override.add("dtend", occurrence.start + duration)
    override.add("sequence", master["SEQUENCE"])
    for alarm in master.subcomponents:
        override.add_component(alarm)
    return override


def _local(occurrence: Occurrence, tz: ZoneInfo) -> datetime:
    """The local time the rule gave an occurrence, in the zone: what RECURRENCE-ID and EXDATE say."""
    return datetime.fromisoformat(occurrence.local).replace(tzinfo=tz)


@lru_cache(maxsize=64)
def vtimezone(tzid: str) -> Timezone:
    """A VTIMEZONE with yearly rules, made from the zone's tz database entry.

    ical's, not icalendar's own: icalendar lists each change as an RDATE, which
    ical.js (Thunderbird, many web calendars) reads as no daylight saving at all.
    """
    text = IcsCalendarStream.calendar_to_ics(IcalCalendar(timezones=[IcalTimezone.from_tzif(tzid)]))
    return Calendar.from_ical(text).walk("VTIMEZONE")[0]


def description(window: WindowView, *, master: bool) -> list[str]:
    """The lines a series adds to a VEVENT's description."""
    series = _series(window)
    if not master:
        at = series.recurrence_id.start
        return [f"This is the occurrence of {at:%Y-%m-%d %H:%M} UTC of a recurring maintenance."]
    kept = remaining(series)
    if not kept:
        return ["This recurring maintenance is called off: none of its occurrences will take place."]
    lines = [
        f"A recurring maintenance ({series.rrule}, in {series.timezone}): "
        f"{len(kept)} occurrences, the first {kept[0].start:%Y-%m-%d %H:%M} UTC."
    ]
    lines += [f"Not on {s.start:%Y-%m-%d %H:%M} UTC: {s.reason}" for s in series.skipped]
    return lines


def remaining(series: SeriesView) -> list[Occurrence]:
    """The occurrences the series' rule still gives: those before any change called the rest off."""
    return [o for o in series.occurrences if series.cut is None or o.start < series.cut]


def _series(window: WindowView) -> SeriesView:
    if window.series is None:
        raise ValueError(f"window {window.id} is no occurrence of a series")
    return window.series
