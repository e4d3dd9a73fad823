"""Recurring windows: a series booked as one window per occurrence, and changed from a date on.

The rule's expansion into occurrences, in the series' own time zone, is recurrence.py's.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session

from forewarn.schemas.base import WindowState
from forewarn.schemas.commands import BookWindow, ChangeSeries, HostSelector, Recurrence
from forewarn.schemas.windows import Reason, WindowCancelled, WindowEvent, WindowScheduled

from ..common.hostnames import fold
from .ids import window_id_for
from .models import Window, WindowHost, WindowSeries
from .queries import hosts_of, view
from .recurrence import expand, occurrence, skipped
from .rules import Rules, check_freezes, check_overlap, check_times
from .selectors import SelectedHost, select_hosts


def new_window(
    cmd: BookWindow,
    hosts: list[SelectedHost],
    *,
    id: str,
    start: datetime,
    end: datetime,
    now: datetime,
    **extra,
) -> Window:
    """A scheduled window as a booking describes it, over these hosts."""
    components = sorted({(h.site, h.role) for h in hosts})
    site_names = {h.site: h.site_name for h in hosts}
    return Window(
        id=id,
        title=cmd.title,
        description=cmd.description,
        impact=cmd.impact,
        state=WindowState.SCHEDULED,
        start=start,
        end=end,
        components=[{"site": s, "role": r, "site_name": site_names[s]} for s, r in components],
        sites=sorted({s for s, _ in components}),
        requested_by=cmd.requested_by,
        created_at=now,
        updated_at=now,
        **extra,
    )


def series_id_for(command_id: str) -> str:
    """The series' id: from the booking's command id, as its first window's is."""
    return "ms-" + window_id_for(command_id).removeprefix("mw-")


def book_series(
    session: Session, cmd: BookWindow, *, rules: Rules, now: datetime, replacing: str | None = None
) -> tuple[list[WindowEvent], list[Reason]]:
    """Book every occurrence of a recurring window, skipping those in a change freeze; or say why not.

    Nothing is written unless every occurrence may be booked. `replacing`: the
    series whose occurrences this one takes over, which it may overlap.
    """
    assert cmd.recurrence is not None and cmd.end is not None
    duration = cmd.end - cmd.start
    hosts, reasons = select_hosts(session, cmd.hosts)
    names = [h.name for h in hosts]
    expansion, wrong = expand(cmd.recurrence, cmd.start, not_before=now)
    reasons += wrong
    if expansion is None:
        return [], reasons
    booked, left_out = skipped(expansion.occurrences(), duration, lambda s, e: check_freezes(rules, s, e))
    if not booked:
        reasons.append(Reason(field="recurrence.rrule", message="every occurrence falls in a change freeze"))
        return [], reasons
    reasons += check_times(rules, booked[0].start, booked[0].start + duration, now=now, short=cmd.short)
    if names and not cmd.allow_overlap:
        for start in (b.start for b in booked):
            for reason in check_overlap(session, names, start, start + duration, exclude_series=replacing):
                reasons.append(
                    Reason(
                        field=reason.field, message=f"occurrence {start:%Y-%m-%d %H:%M}Z: {reason.message}"
                    )
                )
    if reasons:
        return [], reasons
    series = WindowSeries(
        id=series_id_for(cmd.command_id),
        rrule=cmd.recurrence.rrule.removeprefix("RRULE:"),
        timezone=cmd.recurrence.timezone,
        first_start=expansion.first.astimezone(UTC),
        first_local=occurrence(expansion.first).local,
        duration_s=int(duration.total_seconds()),
        skipped=[s.model_dump(mode="json") for s in left_out],
        lead_window_id=window_id_for(cmd.command_id),
        command_id=cmd.command_id,
        created_at=now,
    )
    session.add(series)
    session.flush()
    windows = []
    for n, found in enumerate(booked):
        start = found.start
        window = new_window(
            cmd,
            hosts,
            id=window_id_for(cmd.command_id if n == 0 else f"{cmd.command_id}#{n}"),
            start=start,
            end=start + duration,
            now=now,
            series_id=series.id,
            recurrence_id=start,
            recurrence_local=found.local,
            # Each occurrence's own key: the booking's id is the series'.
            command_id=f"{cmd.command_id}#{n}",
        )
        session.add(window)
        windows.append(window)
    session.flush()
    for window in windows:
        session.add_all(WindowHost(window_id=window.id, host=name) for name in names)
    session.flush()
    out: list[WindowEvent] = []
    for window in windows:
        event = WindowScheduled(window=view(window, names), command_id=cmd.command_id, occurred_at=now)
        out.append(event)
    return out, []


def change_series(
    session: Session, cmd: ChangeSeries, *, rules: Rules, now: datetime
) -> tuple[list[WindowEvent], list[Reason]]:
    """Call off, move or lengthen a series' occurrences from a date on; or say why not.

    The occurrences still scheduled from `since` on are cancelled and the series'
    RRULE ends before the first of them (SEQUENCE raised): its tenants get one
    update of their recurring VEVENT, sent with that first occurrence's
    cancellation. Moving or lengthening them books the rest as a new series.
    """
    series = session.get(WindowSeries, cmd.series_id, with_for_update=True)
    if series is None:
        return [], [Reason(field="series_id", message=f"no series {cmd.series_id}")]
    cut = list(
        session.scalars(
            select(Window)
            .where(
                Window.series_id == series.id,
                Window.recurrence_id >= cmd.since,
                Window.state == WindowState.SCHEDULED,
            )
            .order_by(Window.recurrence_id)
        )
    )
    if not cut:
        return [], [
            Reason(
                field="since",
                message=f"no occurrence of {series.id} still scheduled starts at or after "
                f"{cmd.since:%Y-%m-%d %H:%M}Z",
            )
        ]
    out: list[WindowEvent] = []
    if cmd.action != "cancel":
        booked, reasons = book_series(
            session, _rest(session, series, cut, cmd), rules=rules, now=now, replacing=series.id
        )
        if reasons:
            return [], reasons
        out += booked
        series.replaced_by = series_id_for(cmd.command_id)
    series.cut = cut[0].recurrence_id
    series.rrule = _ending_before(series.rrule, cut[0].recurrence_id)
    series.sequence += 1
    session.flush()
    reason = cmd.reason or f"Moved: from {cut[0].start:%Y-%m-%d} on, this maintenance follows a new series."
    for window in cut:
        window.state = WindowState.CANCELLED
        window.revision += 1
        window.updated_at = now
        session.flush()
        event = WindowCancelled(
            window=view(window, hosts_of(session, window.id)),
            command_id=cmd.command_id,
            occurred_at=now,
            reason=reason,
        )
        out.append(event)
    return out, []


def _ending_before(text: str, cut: datetime) -> str:
    """The RRULE, its COUNT or UNTIL replaced by an UNTIL just before `cut` (in UTC, as RFC 5545 asks)."""
    parts = [p for p in text.split(";") if p.split("=", 1)[0].upper() not in ("COUNT", "UNTIL")]
    return ";".join([*parts, f"UNTIL={cut - timedelta(seconds=1):%Y%m%dT%H%M%SZ}"])


def _rest(session: Session, series: WindowSeries, cut: list[Window], cmd: ChangeSeries) -> BookWindow:
    """The booking of the occurrences from `since` on as a series of their own, moved or lengthened."""
    first = cut[0]
    tz = ZoneInfo(series.timezone)
    local = datetime.fromisoformat(first.recurrence_local or "")
    if cmd.start_time:
        local = datetime.combine(local.date(), time.fromisoformat(cmd.start_time))
    duration = cmd.duration or timedelta(seconds=series.duration_s)
    if cmd.by:
        duration += cmd.by
    start = local.replace(tzinfo=tz).astimezone(UTC)
    rule = ";".join(
        p for p in series.rrule.split(";") if p.split("=", 1)[0].upper() not in ("COUNT", "UNTIL")
    )
    return BookWindow(
        command_id=cmd.command_id,
        title=first.title,
        description=first.description,
        impact=first.impact,
        start=start,
        end=start + duration,
        hosts=HostSelector(nodeset=fold(hosts_of(session, first.id))),
        requested_by=cmd.requested_by,
        recurrence=Recurrence(rrule=f"{rule};COUNT={len(cut)}", timezone=series.timezone),
    )
