"""Changing a booked window: reschedule, extend, cancel, complete."""

from __future__ import annotations

from typing import Annotated

import typer

from forewarn.schemas import subjects

from .commands import JsonOpt, ShortOpt, TimeoutOpt, WindowArg, build, end_from, run_command
from .common import Abort, duration, fail, parse_time, report
from .confirm import YesOpt


def reschedule(
    window_id: WindowArg,
    start: Annotated[str, typer.Option(metavar="TIME", help="New start.")],
    end: Annotated[
        str | None, typer.Option(metavar="TIME", help="New end; or --duration. Neither: the same length.")
    ] = None,
    for_: Annotated[str | None, typer.Option("--duration", metavar="DURATION", help="New length.")] = None,
    tz: Annotated[
        str | None, typer.Option(metavar="ZONE", help="Time zone for times without offset.")
    ] = None,
    short: ShortOpt = False,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
    timeout: TimeoutOpt = 15.0,
) -> None:
    """Move a scheduled window to new times; it keeps its length unless told another."""
    from forewarn.schemas.commands import RescheduleWindow

    try:
        if end is not None and for_ is not None:
            fail("--duration", "give either --end or --duration, not both")
        start_at = parse_time("--start", start, tz)
        end_at = end_from(start_at, end, for_, tz) if (end or for_) else None
        command = build(RescheduleWindow, window_id=window_id, start=start_at, end=end_at, short=short)
    except Abort as exc:
        report(exc, as_json=as_json)
    run_command(
        subjects.RESCHEDULE,
        command,
        as_json=as_json,
        timeout=timeout,
        verb="rescheduled",
        asks="Move",
        yes=yes,
    )


def extend(
    window_id: WindowArg,
    by: Annotated[str, typer.Option(metavar="DURATION", help="How much longer, e.g. 30m.")],
    yes: YesOpt = False,
    as_json: JsonOpt = False,
    timeout: TimeoutOpt = 15.0,
) -> None:
    """Push a window's end later."""
    from forewarn.schemas.commands import ExtendWindow

    try:
        command = build(ExtendWindow, window_id=window_id, by=duration("--by", by))
    except Abort as exc:
        report(exc, as_json=as_json)
    run_command(
        subjects.EXTEND, command, as_json=as_json, timeout=timeout, verb="extended", asks="Extend", yes=yes
    )


def cancel(
    window_id: WindowArg,
    reason: Annotated[str, typer.Option(metavar="TEXT", help="Why, for customers.")],
    yes: YesOpt = False,
    as_json: JsonOpt = False,
    timeout: TimeoutOpt = 15.0,
) -> None:
    """Call a window off."""
    from forewarn.schemas.commands import CancelWindow

    try:
        command = build(CancelWindow, window_id=window_id, reason=reason)
    except Abort as exc:
        report(exc, as_json=as_json)
    run_command(
        subjects.CANCEL, command, as_json=as_json, timeout=timeout, verb="cancelled", asks="Cancel", yes=yes
    )


def complete(window_id: WindowArg, as_json: JsonOpt = False, timeout: TimeoutOpt = 15.0) -> None:
    """End a running window now."""
    from forewarn.schemas.commands import CompleteWindow

    try:
        command = build(CompleteWindow, window_id=window_id)
    except Abort as exc:
        report(exc, as_json=as_json)
    run_command(subjects.COMPLETE, command, as_json=as_json, timeout=timeout, verb="completed")
