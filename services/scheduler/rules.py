"""Booking rules: times, lead, duration, overlap and change freezes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlmodel import Session

from forewarn.schemas.base import WindowState
from forewarn.schemas.windows import Reason

from ..common.durations import format_duration
from ..platform.db import in_chunks
from .freezes import FreezeCalendar
from .models import Window, WindowHost
from .selectors import fold

# A start this close to "now" still counts as now: the CLI's clock and the
# network take a moment, and a booking for "now" should not bounce.
CLOCK_SKEW = timedelta(seconds=30)


@dataclass(frozen=True)
class Rules:
    """The scheduler's policy, from its settings and freeze calendars."""

    min_lead: timedelta
    max_duration: timedelta
    freezes: FreezeCalendar
    # How far a rolling window's slot may drift from what its tenants were told before they are told anew.
    slot_slack: timedelta = timedelta(minutes=15)
    # Shorter windows are refused unless the command says it is short on purpose: a slip of
    # the keyboard (--duration 90, in seconds) would otherwise mail every customer at once.
    min_duration: timedelta = timedelta(0)


def check_times(
    rules: Rules, start: datetime, end: datetime, *, now: datetime, short: bool = False
) -> list[Reason]:
    """Times must be ordered, ahead by the minimum lead, and of sane length."""
    reasons = []
    if end <= start:
        reasons.append(Reason(field="end", message=f"must be after the start ({start:%Y-%m-%d %H:%M}Z)"))
    elif not short and end - start < rules.min_duration:
        reasons.append(
            Reason(
                field="end",
                message=f"the window lasts {format_duration(end - start)}, shorter than "
                f"{format_duration(rules.min_duration)} (FOREWARN_MIN_DURATION); "
                "pass --short if it is meant to be",
            )
        )
    if start < now - CLOCK_SKEW:
        reasons.append(Reason(field="start", message=f"{start:%Y-%m-%d %H:%M}Z is in the past"))
    elif rules.min_lead and start < now + rules.min_lead - CLOCK_SKEW:
        reasons.append(
            Reason(
                field="start",
                message=f"must be at least {format_duration(rules.min_lead)} ahead (FOREWARN_MIN_LEAD); "
                f"earliest {now + rules.min_lead:%Y-%m-%d %H:%M}Z",
            )
        )
    if end - start > rules.max_duration:
        reasons.append(
            Reason(
                field="end",
                message=f"the window lasts {format_duration(end - start)}, longer than "
                f"{format_duration(rules.max_duration)} "
                "(FOREWARN_MAX_DURATION); split it into several windows",
            )
        )
    return reasons


def check_freezes(rules: Rules, start: datetime, end: datetime) -> list[Reason]:
    """A window may not touch a change freeze."""
    return [
        Reason(
            field="start",
            message=f"the window falls in the change freeze {f.summary!r} "
            f"({f.start:%Y-%m-%d} to {f.end:%Y-%m-%d}, {f.source})",
        )
        for f in rules.freezes.overlapping(start, end)
    ]


def check_overlap(
    session: Session,
    hosts: list[str],
    start: datetime,
    end: datetime,
    *,
    exclude: str | None = None,
    exclude_series: str | None = None,
) -> list[Reason]:
    """A window may not share hosts with another live window at the same time.

    `exclude` leaves one window out (the one being moved), `exclude_series` the
    occurrences of a series (the one a new series replaces from a date on).
    """
    clashes: dict[str, list[str]] = {}
    titles: dict[str, Window] = {}
    live = [WindowState.SCHEDULED, WindowState.IN_PROGRESS]
    for chunk in in_chunks(hosts):
        query = (
            select(Window, WindowHost.host)
            .join(WindowHost, WindowHost.window_id == Window.id)
            .where(Window.state.in_(live), Window.start < end, Window.end > start)
            .where(WindowHost.host.in_(chunk))
        )
        if exclude:
            query = query.where(Window.id != exclude)
        if exclude_series:
            query = query.where(or_(Window.series_id.is_(None), Window.series_id != exclude_series))
        for window, host in session.execute(query):
            clashes.setdefault(window.id, []).append(host)
            titles[window.id] = window
    return [
        Reason(
            field="hosts",
            message=f"overlaps live window {wid} {titles[wid].title!r} "
            f"({titles[wid].start:%Y-%m-%d %H:%M}Z to {titles[wid].end:%Y-%m-%d %H:%M}Z) "
            f"on {fold(found)}",
        )
        for wid, found in sorted(clashes.items())
    ]
