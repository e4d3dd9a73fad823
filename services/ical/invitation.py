"""The iCalendar invitation for one window and one tenant (RFC 5545/5546, MAINT-NOTE).

One VEVENT per (window, tenant): its UID never changes and its SEQUENCE is the
window's revision, so calendars replace the event in place when it moves.
Every text value goes in through `text.text`, escaped after `printable` has
replaced what no property may hold (a bare CR, a control), so a title, tenant
name or resource id cannot inject properties or components. The fan-out writes
these byte for byte through `cache.Invitations`; the subscribable calendars are
`feed.py`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from icalendar import Alarm, Calendar, Event, vCalAddress, vText

from forewarn.schemas.base import WindowState
from forewarn.schemas.impact import TenantImpact
from forewarn.schemas.windows import WindowView

from ..common import rolling
from ..common.hostnames import fold
from . import series
from .text import new_calendar, param_text, text

# The window's state as iCalendar STATUS and as X-MAINTNOTE-STATUS.
STATUS = {
    WindowState.SCHEDULED: ("CONFIRMED", "CONFIRMED"),
    WindowState.IN_PROGRESS: ("CONFIRMED", "IN-PROCESS"),
    WindowState.COMPLETED: ("CONFIRMED", "COMPLETED"),
    WindowState.CANCELLED: ("CANCELLED", "CANCELLED"),
}

Mode = Literal["invite", "notice"]


def event_uid(window_id: str, tenant_id: str, provider: str) -> str:
    """The UID of a tenant's event for a window: stable for the window's life."""
    return f"{window_id}.{tenant_id}@{provider}"


def method_for(
    window: WindowView, mode: Mode, *, withdrawn: bool = False, cleared: bool = False, master: bool = False
) -> str | None:
    """REQUEST or CANCEL for people; none for automation, which must not get calendar requests.

    A tenant the window no longer affects (withdrawn) gets a CANCEL of its own event.
    """
    if mode == "notice":
        return None
    state = event_state(window, withdrawn=withdrawn, cleared=cleared, master=master)
    return "CANCEL" if state is WindowState.CANCELLED else "REQUEST"


def shown_times(window: WindowView) -> tuple[datetime, datetime]:
    """The planned times, until the work is done: then when it really ran."""
    if window.state is WindowState.COMPLETED and window.started_at and window.ended_at:
        return window.started_at, window.ended_at
    return window.start, window.end


def tenant_times(window: WindowView, tenant: TenantImpact, state: WindowState) -> tuple[datetime, datetime]:
    """The times a tenant's event shows: in a rolling window its own slots, else the window's.

    A tenant whose hosts sit in several batches gets one event from its first
    slot's start to its last slot's end, with each slot listed in the text: one
    UID per window and tenant keeps every update, reply and cancellation about
    one calendar entry.
    """
    if not window.batches:
        return shown_times(window)
    if state is WindowState.COMPLETED and (ran := rolling.tenant_ran(window, tenant)):
        return ran
    return rolling.tenant_slot(window, tenant)


@dataclass(frozen=True)
class Organizer:
    """Who sends every invitation: the operator's domain and its ops mailbox. One per service."""

    provider: str
    mailbox: str
    alarm_before: timedelta = timedelta(hours=1)
    # Whether attendees are asked to answer (RSVP=TRUE): only where the mailbox is read.
    rsvp: bool = False

    @property
    def name(self) -> str:
        """The name the invitation's ORGANIZER and the mail's From both show."""
        return f"{self.provider} maintenance"


def location_of(window: WindowView) -> str:
    """The sites a window touches, as the event's LOCATION: 'Stockholm 1, Kista (STO1)'.

    Their names, which customers know; a window booked before names were kept has codes.
    """
    sites = {c.site: c.site_name for c in window.components}
    return "; ".join(f"{name} ({code})" if name else code for code, name in sorted(sites.items()))


def build_calendar(
    window: WindowView,
    tenant: TenantImpact,
    organizer: Organizer,
    *,
    location: str,
    mode: Mode,
    stamp: datetime,
    withdrawn: bool = False,
    cleared: bool = False,
    master: bool = False,
) -> Calendar:
    """The VCALENDAR for one tenant's contacts of one mode; withdrawn: the tenant's event cancelled;
    cleared: the work on the tenant's hosts is done (a rolling window); master: a series'
    recurring VEVENT rather than its occurrence's override."""
    calendar = new_calendar(method_for(window, mode, withdrawn=withdrawn, cleared=cleared, master=master))
    calendar.add_component(
        build_event(
            window,
            tenant,
            organizer,
            location=location,
            mode=mode,
            stamp=stamp,
            withdrawn=withdrawn,
            cleared=cleared,
            master=master,
        )
    )
    if window.series is not None:
        series.finish_calendar(calendar, window, master=master)
    return calendar


def build_event(
    window: WindowView,
    tenant: TenantImpact,
    organizer: Organizer,
    *,
    location: str,
    mode: Mode,
    stamp: datetime,
    withdrawn: bool = False,
    cleared: bool = False,
    master: bool = False,
    recurring: bool = True,
) -> Event:
    """The tenant's VEVENT for the window, with the attendees of one mode.

    Withdrawn: the window goes ahead, but no longer touches this tenant, so its
    own event is cancelled (same UID and SEQUENCE, STATUS:CANCELLED). Cleared:
    a rolling window is done with the tenant's hosts (X-MAINTNOTE-STATUS:COMPLETED).

    An occurrence of a series is, for its tenant, part of one recurring VEVENT:
    `master` gives that VEVENT (RRULE, EXDATE), else the occurrence's override
    (RECURRENCE-ID). `recurring=False` gives the occurrence as an event of its own.
    """
    state = event_state(window, withdrawn=withdrawn, cleared=cleared, master=master and recurring)
    event = window_event(
        window,
        organizer,
        uid=event_uid(window.id, tenant.tenant_id, organizer.provider),
        description=tenant_description(window, tenant, state=state, master=master and recurring),
        location=location,
        stamp=stamp,
        state=state,
        times=tenant_times(window, tenant, state),
    )
    add_tenant(event, tenant, mode, rsvp=organizer.rsvp)
    if recurring and window.series is not None:
        series.recurring(
            event, window, event_uid(window.series.id, tenant.tenant_id, organizer.provider), master=master
        )
    finish_event(event, window, organizer, state=state)
    return event


def event_state(window: WindowView, *, withdrawn: bool, cleared: bool, master: bool = False) -> WindowState:
    """The state a tenant's event shows: its own, where it differs from the window's.

    A series' recurring VEVENT stands for the series, not for the occurrence it is
    sent with: confirmed, unless a change called off every occurrence of it.
    """
    if withdrawn:
        return WindowState.CANCELLED
    if master and window.series is not None:
        series = window.series
        gone = series.cut is not None and series.cut <= series.first.start
        return WindowState.CANCELLED if gone else WindowState.SCHEDULED
    return WindowState.COMPLETED if cleared else window.state


def add_tenant(event: Event, tenant: TenantImpact, mode: Mode, *, rsvp: bool = False) -> None:
    """The tenant's own properties: its attendees of one mode, its account and resources."""
    for contact in tenant.contacts:
        if contact.mode != mode:
            continue
        attendee = vCalAddress(f"mailto:{contact.email}")
        attendee.params.update(
            {
                "ROLE": "REQ-PARTICIPANT",
                "PARTSTAT": "NEEDS-ACTION",
                "RSVP": "TRUE" if rsvp else "FALSE",
                "CUTYPE": "INDIVIDUAL",
            }
        )
        if name := param_text(contact.name):
            attendee.params["CN"] = vText(name)
        event.add("attendee", attendee, encode=0)
    event.add("x-maintnote-account", text(tenant.tenant_id))
    for resource in tenant.resources:
        event.add(
            "x-maintnote-object-id",
            text(resource.id),
            parameters={"X-MAINTNOTE-OBJECT-IMPACT": tenant.impact.value},
        )
    event.add("x-maintnote-impact", tenant.impact.value)


def window_event(
    window: WindowView,
    organizer: Organizer,
    *,
    uid: str,
    description: str,
    location: str,
    stamp: datetime,
    state: WindowState | None = None,
    times: tuple[datetime, datetime] | None = None,
) -> Event:
    """The properties every VEVENT of a window shares, whoever it is for (`state`, `times`: its own)."""
    status, _ = STATUS[state or window.state]
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    start, end = times or shown_times(window)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("sequence", window.revision)
    event.add("summary", text(window.title))
    event.add("description", text(description, multiline=True))
    event.add("location", text(location))
    event.add("status", status)
    event.add("transp", "OPAQUE")
    sender = vCalAddress(f"mailto:{organizer.mailbox}")
    sender.params["CN"] = vText(organizer.name)
    event.add("organizer", sender)
    event.add("x-maintnote-provider", organizer.provider)
    event.add("x-maintnote-maintenance-id", text(window.id))
    return event


def finish_event(
    event: Event, window: WindowView, organizer: Organizer, *, state: WindowState | None = None
) -> None:
    """The state and, for a window still to come or running, the alarm: last, as MAINT-NOTE orders them."""
    state = state or window.state
    event.add("x-maintnote-status", STATUS[state][1])
    if state in (WindowState.SCHEDULED, WindowState.IN_PROGRESS):
        event.add_component(_alarm(window.title, organizer.alarm_before))


def _alarm(title: str, before: timedelta) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", text(f"Maintenance starts soon: {title}"))
    alarm.add("trigger", -before)
    return alarm


def tenant_description(
    window: WindowView, tenant: TenantImpact, *, state: WindowState, master: bool = False
) -> str:
    lines = [window.description] if window.description else []
    if window.series is not None:
        lines += series.description(window, master=master)
    if state is WindowState.CANCELLED and window.state is not WindowState.CANCELLED:
        lines.append("Your servers are no longer on the hosts in this window: it no longer affects you.")
        return "\n".join(lines)
    lines.append(f"Impact: {tenant.impact.value} ({tenant.impact.plain}).")
    if mine := rolling.tenant_batches(window, tenant):
        if state is WindowState.COMPLETED and window.state is not WindowState.COMPLETED:
            lines.append("The work on your servers' hosts is done; the rest of the window goes on.")
        span = _utc(window.start, window.end)
        lines.append(f"The window takes its hosts down in {len(window.batches)} batches, {span}.")
        lines.append("Your servers' hosts go down in:")
        lines.extend(f"- batch {b.number}: {_utc(b.start, b.end)} ({fold(b.hosts)})" for b in mine)
    lines.append(f"Your affected resources ({len(tenant.resources)}):")
    lines.extend(f"- {r.name} ({r.id}, {r.kind}) on {r.host}" for r in tenant.resources)
    return "\n".join(lines)


def _utc(start: datetime, end: datetime) -> str:
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC"
