"""A series' rule expanded into occurrences, each to be booked as a window of its own.

The rule is read in the series' time zone, so "22:00 on the second Tuesday"
stays 22:00 local across DST. A local time a DST change skips (02:30 on the
night clocks go forward) is read with the offset before the change, as RFC
5545 says: 02:30 CET, which is 03:30 CEST. A time the change repeats (02:30
on the night clocks go back) is its first, summer-time, instance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rrulestr

from forewarn.schemas.commands import Recurrence
from forewarn.schemas.windows import Occurrence, Reason, Skipped

# A series holds at most this many occurrences: each is a window with its own timers.
MAX_OCCURRENCES = 100
_ENDS = re.compile(r"(^|;)(COUNT|UNTIL)=", re.IGNORECASE)


@dataclass(frozen=True)
class Expansion:
    """What a rule gives from a start: DTSTART and each occurrence, as local times in the zone."""

    first: datetime
    starts: list[datetime]

    def occurrences(self) -> list[Occurrence]:
        return [occurrence(start) for start in self.starts]


def occurrence(local: datetime) -> Occurrence:
    """An occurrence from the local time the rule gave: read as zoneinfo reads it (fold 0), which is
    RFC 5545's reading: a time a DST change skips takes the offset before the change, a time it
    repeats its first instance."""
    return Occurrence(start=local.astimezone(UTC), local=local.replace(tzinfo=None).isoformat())


def zone(spec: Recurrence) -> tuple[ZoneInfo | None, list[Reason]]:
    try:
        return ZoneInfo(spec.timezone), []
    except (ZoneInfoNotFoundError, ValueError):
        return None, [
            Reason(field="recurrence.timezone", message=f"{spec.timezone!r} is not an IANA time zone")
        ]


def expand(
    spec: Recurrence, start: datetime, *, not_before: datetime
) -> tuple[Expansion | None, list[Reason]]:
    """The rule's occurrences from `start` (whose local time of day the rule keeps), none before
    `not_before`; or why it gives none to book."""
    tz, reasons = zone(spec)
    if tz is None:
        return None, reasons
    local = start.astimezone(tz)
    text = spec.rrule.removeprefix("RRULE:")
    if not _ENDS.search(text):
        return None, [Reason(field="recurrence.rrule", message="give COUNT or UNTIL: a series must end")]
    try:
        rule = rrulestr(text, dtstart=local)
    except (ValueError, TypeError) as exc:
        return None, [Reason(field="recurrence.rrule", message=str(exc))]
    if not isinstance(rule, rrule):
        return None, [
            Reason(field="recurrence.rrule", message="give one RRULE value, e.g. FREQ=MONTHLY;BYDAY=2TU")
        ]
    first = rule.after(max(local, not_before.astimezone(tz)), inc=True)
    if first is None:
        return None, [
            Reason(field="recurrence.rrule", message="the rule gives no occurrence from the start on")
        ]
    # DTSTART must be an occurrence itself: calendars disagree on one that is not.
    rule = rule.replace(dtstart=first)
    starts = list(islice(rule, MAX_OCCURRENCES + 1))
    if len(starts) > MAX_OCCURRENCES:
        return None, [
            Reason(
                field="recurrence.rrule",
                message=f"the rule gives more than {MAX_OCCURRENCES} occurrences: "
                "lower COUNT or bring UNTIL closer",
            )
        ]
    return Expansion(first=first, starts=starts), []


def skipped(
    occurrences: list[Occurrence], duration: timedelta, frozen
) -> tuple[list[Occurrence], list[Skipped]]:
    """The occurrences to book, and those a change freeze rules out (each with the freeze's reason)."""
    booked, left_out = [], []
    for found in occurrences:
        reasons = frozen(found.start, found.start + duration)
        if reasons:
            left_out.append(Skipped(start=found.start, local=found.local, reason=reasons[0].message))
        else:
            booked.append(found)
    return booked, left_out
