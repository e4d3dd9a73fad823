"""Change freezes: VEVENTs in .ics files; no window may touch one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

import icalendar
import recurring_ical_events


@dataclass(frozen=True, slots=True)
class Freeze:
    """One occurrence of a freeze, in UTC."""

    summary: str
    start: datetime
    end: datetime
    source: str


class FreezeCalendar:
    """Every freeze calendar of a folder, read once at start-up."""

    def __init__(self, calendars: list[tuple[str, icalendar.Calendar]]) -> None:
        self._calendars = calendars

    @classmethod
    def from_dir(cls, folder: Path) -> FreezeCalendar:
        """Read every *.ics file under a folder; a missing folder means no freezes."""
        calendars = []
        for path in sorted(folder.glob("*.ics")) if folder.is_dir() else []:
            try:
                calendars.append((path.name, icalendar.Calendar.from_ical(path.read_bytes())))
            except ValueError as exc:
                raise ValueError(f"freeze calendar {path} is not valid iCalendar: {exc}") from None
        return cls(calendars)

    def overlapping(self, start: datetime, end: datetime) -> list[Freeze]:
        """Freeze occurrences that overlap [start, end)."""
        found = []
        for source, calendar in self._calendars:
            for event in recurring_ical_events.of(calendar).between(start, end):
                found.append(
                    Freeze(
                        summary=str(event.get("SUMMARY", "change freeze")),
                        start=_utc(event.decoded("DTSTART")),
                        end=_utc(event.decoded("DTEND")),
                        source=source,
                    )
                )
        return sorted(found, key=lambda f: f.start)


def _utc(value: date | datetime) -> datetime:
    # All-day freezes are taken in UTC: a freeze is a policy, and UTC days are
    # the strictest reading for an operator spread over several time zones.
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
