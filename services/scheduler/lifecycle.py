"""The window state machine: commands and timers in, typed events out.

Every transition runs inside one database transaction and returns what
happened, as the schemas' events; the caller records them in the window's
timeline in the same transaction (timeline.py), which makes them messages.
Every command's transition takes the same arguments:
`(session, command, *, rules, now)`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from forewarn.schemas.base import WindowState
from forewarn.schemas.commands import (
    BookWindow,
    CancelWindow,
    ChangeSeries,
    CompleteWindow,
    ExtendWindow,
    ReportProgress,
    RescheduleWindow,
)
from forewarn.schemas.windows import (
    Batch,
    Reason,
    WindowCancelled,
    WindowCompleted,
    WindowEvent,
    WindowExtended,
    WindowProgressed,
    WindowRescheduled,
    WindowScheduled,
    WindowStarted,
)

from ..common import rolling
from . import rollout, series
from .ids import window_id_for
from .models import Window, WindowHost
from .queries import hosts_of, view
from .rules import Rules, check_freezes, check_overlap, check_times
from .selectors import select_hosts

# Timers fire within a second; a start this much later means the scheduler
# was not there to see it.
LATE_AFTER = timedelta(seconds=5)
# Timers have one-second granularity; a due message may arrive a moment early.
CLOCK_GRACE = timedelta(seconds=2)


class Rejected(Exception):
    """A command broke a rule; nothing was changed."""

    def __init__(self, reasons: list[Reason]) -> None:
        super().__init__("; ".join(f"{r.field}: {r.message}" for r in reasons))
        self.reasons = reasons


def _bump(window: Window, now: datetime, **changes: object) -> None:
    for name, value in changes.items():
        setattr(window, name, value)
    window.revision += 1
    window.updated_at = now


def book(session: Session, cmd: BookWindow, *, rules: Rules, now: datetime) -> list[WindowEvent]:
    """Validate a booking and store the window (a series: every occurrence), or raise Rejected."""
    if cmd.recurrence is not None:
        out, reasons = series.book_series(session, cmd, rules=rules, now=now)
        if reasons:
            raise Rejected(reasons)
        return out
    hosts, reasons = select_hosts(session, cmd.hosts)
    names = [h.name for h in hosts]
    batches: list[Batch] = []
    if cmd.rolling and names:
        split, wrong = rollout.split(cmd.rolling, names)
        reasons += wrong
        batches = rolling.plan(split, start=cmd.start, per_batch=cmd.rolling.per_batch, revision=1)
    # A rolling window booked without an end ends with its last slot.
    end = cmd.end or (batches[-1].end if batches else None)
    if end is None:  # no host matched, so there is no slot to end with: the reasons say why
        raise Rejected(reasons or [Reason(field="hosts", message="no host matches")])
    if batches and not reasons:
        reasons += rollout.check_fits(len(batches), batches[0].end - batches[0].start, cmd.start, end)
    reasons += check_times(rules, cmd.start, end, now=now, short=cmd.short)
    reasons += check_freezes(rules, cmd.start, end)
    if names and not cmd.allow_overlap:
        reasons += check_overlap(session, names, cmd.start, end)
    if reasons:
        raise Rejected(reasons)
    window = series.new_window(
        cmd,
        hosts,
        id=window_id_for(cmd.command_id),
        start=cmd.start,
        end=end,
        now=now,
        batches=_stored(batches),
        command_id=cmd.command_id,
    )
    session.add(window)
    session.flush()
    session.add_all(WindowHost(window_id=window.id, host=name) for name in names)
    event = WindowScheduled(window=view(window, names), command_id=cmd.command_id, occurred_at=now)
    return [event]


def _load(session: Session, window_id: str, *, field: str = "window_id") -> Window:
    window = session.get(Window, window_id, with_for_update=True)
    if window is None:
        raise Rejected([Reason(field=field, message=f"no window {window_id}")])
    return window


def _require(window: Window, *states: WindowState, action: str) -> None:
    if window.state not in states:
        allowed = " or ".join(s.value for s in states)
        raise Rejected(
            [
                Reason(
                    field="window_id",
                    message=f"cannot {action} window {window.id}: it is {window.state}, not {allowed}",
                )
            ]
        )


def reschedule(session: Session, cmd: RescheduleWindow, *, rules: Rules, now: datetime) -> list[WindowEvent]:
    """Move a scheduled window; the same rules as a booking apply."""
    window = _load(session, cmd.window_id)
    _require(window, WindowState.SCHEDULED, action="reschedule")
    hosts = hosts_of(session, window.id)
    end = cmd.end or cmd.start + (window.end - window.start)
    reasons = check_times(rules, cmd.start, end, now=now, short=cmd.short)
    reasons += check_freezes(rules, cmd.start, end)
    reasons += check_overlap(session, hosts, cmd.start, end, exclude=window.id)
    batches = _batches(window)
    if batches:
        per_batch = batches[0].end - batches[0].start
        reasons += rollout.check_fits(len(batches), per_batch, cmd.start, end)
    if reasons:
        raise Rejected(reasons)
    previous = (window.start, window.end)
    moved = rolling.shifted(batches, cmd.start - window.start, revision=window.revision + 1)
    _bump(window, now, start=cmd.start, end=end, batches=_stored(moved))
    event = WindowRescheduled(
        window=view(window, hosts),
        command_id=cmd.command_id,
        occurred_at=now,
        previous_start=previous[0],
        previous_end=previous[1],
    )
    return [event]


def extend(session: Session, cmd: ExtendWindow, *, rules: Rules, now: datetime) -> list[WindowEvent]:
    """Push the end of a scheduled or running window later."""
    window = _load(session, cmd.window_id)
    _require(window, WindowState.SCHEDULED, WindowState.IN_PROGRESS, action="extend")
    hosts = hosts_of(session, window.id)
    new_end = window.end + cmd.by
    reasons = []
    if new_end - window.start > rules.max_duration:
        reasons.append(
            Reason(
                field="by",
                message=f"the window would last {new_end - window.start}, longer than {rules.max_duration}",
            )
        )
    reasons += check_freezes(rules, window.end, new_end)
    reasons += check_overlap(session, hosts, window.end, new_end, exclude=window.id)
    if reasons:
        raise Rejected(reasons)
    previous_end = window.end
    _bump(window, now, end=new_end)
    event = WindowExtended(
        window=view(window, hosts),
        command_id=cmd.command_id,
        occurred_at=now,
        previous_end=previous_end,
        by=cmd.by,
    )
    return [event]


def cancel(session: Session, cmd: CancelWindow, *, rules: Rules, now: datetime) -> list[WindowEvent]:
    """Call off a window that has not ended."""
    window = _load(session, cmd.window_id)
    _require(window, WindowState.SCHEDULED, WindowState.IN_PROGRESS, action="cancel")
    running = window.state == WindowState.IN_PROGRESS
    _bump(window, now, state=WindowState.CANCELLED, ended_at=now if running else None)
    event = WindowCancelled(
        window=view(window, hosts_of(session, window.id)),
        command_id=cmd.command_id,
        occurred_at=now,
        reason=cmd.reason,
    )
    return [event]


def complete(session: Session, cmd: CompleteWindow, *, rules: Rules, now: datetime) -> list[WindowEvent]:
    """End a running window early."""
    window = _load(session, cmd.window_id)
    _require(window, WindowState.IN_PROGRESS, action="complete")
    return [_complete_now(session, window, cmd.command_id, now)]


def _complete_now(session: Session, window: Window, command_id: str, now: datetime) -> WindowCompleted:
    """A running window completed on request (or by its last host done): early, if before its end."""
    _bump(window, now, state=WindowState.COMPLETED, ended_at=now)
    event = WindowCompleted(
        window=view(window, hosts_of(session, window.id)),
        command_id=command_id,
        occurred_at=now,
        early=now < window.end,
    )
    return event


def change_series(session: Session, cmd: ChangeSeries, *, rules: Rules, now: datetime) -> list[WindowEvent]:
    """Call off, move or lengthen a series from a date on (see series.change_series)."""
    out, reasons = series.change_series(session, cmd, rules=rules, now=now)
    if reasons:
        raise Rejected(reasons)
    return out


def progress(session: Session, cmd: ReportProgress, *, rules: Rules, now: datetime) -> list[WindowEvent]:
    """Work on some hosts of a running rolling window began or is done; the last host done completes it."""
    window = _load(session, cmd.window_id)
    _require(window, WindowState.IN_PROGRESS, action="report progress on")
    batches = _batches(window)
    if not batches:
        raise Rejected([Reason(field="window_id", message=f"window {window.id} is not a rolling window")])
    hosts, reasons = rollout.named_hosts(cmd, batches)
    if reasons:
        raise Rejected(reasons)
    revision = window.revision + 1
    batches = rolling.report(batches, hosts, cmd.step, now=now, revision=revision)
    batches = rolling.reflow(batches, now=now, slack=rules.slot_slack, revision=revision)
    # The umbrella stretches to the last batch's slot as told, so the window's end timer waits for it.
    _bump(window, now, batches=_stored(batches), end=max(window.end, batches[-1].end))
    event = WindowProgressed(
        window=view(window, hosts_of(session, window.id)),
        command_id=cmd.command_id,
        occurred_at=now,
        step=cmd.step,
        hosts=hosts,
    )
    out: list[WindowEvent] = [event]
    if rolling.all_done(batches):
        out.append(_complete_now(session, window, cmd.command_id, now))
    return out


def _batches(window: Window) -> list[Batch]:
    return [Batch.model_validate(b) for b in window.batches]


def _stored(batches: list[Batch]) -> list[dict]:
    return [b.model_dump(mode="json") for b in batches]


def start_due(session: Session, window_id: str, *, now: datetime) -> list[WindowEvent]:
    """The start timer fired: start the window, late if the scheduler missed its time."""
    window = session.get(Window, window_id, with_for_update=True)
    # A timer for a window moved later, cancelled or unknown is stale: ignore it.
    if window is None or window.state != WindowState.SCHEDULED or window.start > now + CLOCK_GRACE:
        return []
    late_by = max(now - window.start, timedelta(0))
    _bump(window, now, state=WindowState.IN_PROGRESS, started_at=now)
    event = WindowStarted(
        window=view(window, hosts_of(session, window.id)),
        occurred_at=now,
        late=late_by > LATE_AFTER,
        late_by=late_by,
    )
    return [event]


def end_due(session: Session, window_id: str, *, now: datetime) -> list[WindowEvent]:
    """The end timer fired: complete the window (starting it first if that was missed)."""
    window = session.get(Window, window_id, with_for_update=True)
    if window is None or not window.state.live or window.end > now + CLOCK_GRACE:
        return []
    # Both edges passed unseen: say it started (late), then that it completed;
    # both belong to this timer, so a redelivery republishes both.
    out = start_due(session, window_id, now=now) if window.state == WindowState.SCHEDULED else []
    _bump(window, now, state=WindowState.COMPLETED, ended_at=now)
    event = WindowCompleted(window=view(window, hosts_of(session, window.id)), occurred_at=now)
    return [*out, event]
