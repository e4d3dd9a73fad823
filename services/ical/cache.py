"""Each tenant's invitation to a window, with what every tenant's shares serialized once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from icalendar import Event
from icalendar.caselessdict import canonsort_keys

from forewarn.schemas.base import WindowState, utcnow
from forewarn.schemas.impact import TenantImpact
from forewarn.schemas.windows import WindowView

from .invitation import (
    Mode,
    Organizer,
    add_tenant,
    build_calendar,
    event_state,
    event_uid,
    finish_event,
    method_for,
    tenant_description,
    tenant_times,
    window_event,
)
from .text import line_name, new_calendar, serialize, serialized_line, text

# The properties of a tenant's VEVENT that are the tenant's (or the mail's) own;
# every other line is the same for every tenant of the window.
TENANT_PROPERTIES = frozenset(
    {
        "UID",
        "DTSTAMP",
        "DESCRIPTION",
        "ATTENDEE",
        "X-MAINTNOTE-ACCOUNT",
        "X-MAINTNOTE-OBJECT-ID",
        "X-MAINTNOTE-IMPACT",
    }
)


@dataclass(frozen=True)
class _Shared:
    """A window's serialized lines that every tenant's invitation shares."""

    head: bytes  # from BEGIN:VCALENDAR to BEGIN:VEVENT
    properties: dict[str, list[bytes]]  # the event's own, by name
    tail: bytes  # the alarm, END:VEVENT and END:VCALENDAR


class Invitations:
    """Each tenant's invitation to a window, as serialize(build_calendar(...)) writes it, byte for byte.

    A fan-out writes the same window for thousands of tenants: the lines they
    share (times, summary, organizer, status, the alarm) are serialized once per
    window and state, and only each tenant's own lines for each mail. Every line
    is still the library's.
    """

    def __init__(self, organizer: Organizer, *, keep: int = 64) -> None:
        self.organizer = organizer
        self.keep = keep
        self._shared: dict[tuple[str, ...], _Shared] = {}

    def calendar(
        self,
        window: WindowView,
        tenant: TenantImpact,
        *,
        location: str,
        mode: Mode,
        stamp: datetime,
        withdrawn: bool = False,
        cleared: bool = False,
        master: bool = False,
    ) -> bytes:
        """The tenant's VCALENDAR; see build_calendar."""
        if window.series is not None:  # a series' VEVENTs differ by occurrence: built whole
            return serialize(
                build_calendar(
                    window,
                    tenant,
                    self.organizer,
                    location=location,
                    mode=mode,
                    stamp=stamp,
                    withdrawn=withdrawn,
                    master=master,
                )
            )
        state = event_state(window, withdrawn=withdrawn, cleared=cleared)
        method = method_for(window, mode, withdrawn=withdrawn, cleared=cleared) or ""
        times = tenant_times(window, tenant, state)
        shared = self._window(window, location=location, state=state, method=method, times=times)
        own = Event()
        own.add("uid", event_uid(window.id, tenant.tenant_id, self.organizer.provider))
        own.add("dtstamp", stamp)
        own.add("description", text(tenant_description(window, tenant, state=state), multiline=True))
        add_tenant(own, tenant, mode, rsvp=self.organizer.rsvp)
        lines = shared.properties | _properties(own.content_lines())
        body = b"".join(b"".join(lines[name]) for name in canonsort_keys(lines, Event.canonical_order))
        return shared.head + body + shared.tail

    def _window(
        self,
        window: WindowView,
        *,
        location: str,
        state: WindowState,
        method: str,
        times: tuple[datetime, datetime],
    ) -> _Shared:
        # Every field of the window is in the key but its hosts, which no line shows, its
        # components, which the location stands for, and its batches, which the times stand for.
        key = (
            window.model_dump_json(exclude={"hosts", "components", "batches"}),
            location,
            state.value,
            method,
            *times,
        )
        if key not in self._shared:
            if len(self._shared) >= self.keep:
                self._shared.clear()
            calendar = new_calendar(method or None)
            event = window_event(
                window,
                self.organizer,
                uid="",
                description="",
                location=location,
                stamp=utcnow(),
                state=state,
                times=times,
            )
            finish_event(event, window, self.organizer, state=state)
            calendar.add_component(event)
            self._shared[key] = _split(calendar.content_lines())
        return self._shared[key]


def _properties(lines: Iterable[str]) -> dict[str, list[bytes]]:
    """An event's property lines, serialized, by name (BEGIN and END left out)."""
    found: dict[str, list[bytes]] = {}
    for line in lines:
        name = line_name(line)
        if line and name not in ("BEGIN", "END"):
            found.setdefault(name, []).append(serialized_line(line))
    return found


def _split(lines: list[str]) -> _Shared:
    """A calendar of one event cut into what comes before, in and after the event's properties."""
    lines = [line for line in lines if line]
    start = lines.index("BEGIN:VEVENT") + 1
    end = next(i for i in range(start, len(lines)) if line_name(lines[i]) in ("BEGIN", "END"))
    own = _properties(lines[start:end])
    return _Shared(
        head=b"".join(serialized_line(line) for line in lines[:start]),
        properties={name: found for name, found in own.items() if name not in TENANT_PROPERTIES},
        tail=b"".join(serialized_line(line) for line in lines[end:]),
    )
