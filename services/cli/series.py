"""`forewarn series`: change a recurring window from one of its occurrences on.

One occurrence is changed like any window (`forewarn reschedule|extend|cancel ID`);
these commands change every occurrence from a date on.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated

import typer

from forewarn.schemas import subjects

from .commands import JsonOpt, TimeoutOpt, build, run_command
from .common import Abort, duration, fail, parse_time, report

app = typer.Typer(help="Change a recurring window from one of its occurrences on.", no_args_is_help=True)

SeriesArg = Annotated[str, typer.Argument(metavar="SERIES", help="The series id, e.g. ms-4k2q9x4d.")]
FromOpt = Annotated[
    str,
    typer.Option(
        "--from",
        metavar="DATE",
        help="The first occurrence changed: a date (in the series' zone) or a time; every later one too.",
    ),
]
OPTIONS = {
    "series_id": "SERIES",
    "since": "--from",
    "reason": "--reason",
    "start_time": "--start",
    "duration": "--duration",
    "by": "--by",
}


@app.command("cancel")
def cancel(
    series_id: SeriesArg,
    since: FromOpt,
    reason: Annotated[str, typer.Option(metavar="TEXT", help="Why, for customers.")],
    as_json: JsonOpt = False,
    timeout: TimeoutOpt = 15.0,
) -> None:
    """Call off every occurrence from a date on; tenants' recurring invitation ends before it."""
    _change(
        series_id, since, as_json=as_json, timeout=timeout, verb="called off", action="cancel", reason=reason
    )


@app.command("reschedule")
def reschedule(
    series_id: SeriesArg,
    since: FromOpt,
    start: Annotated[
        str | None, typer.Option(metavar="HH:MM", help="The new local time of day, in the series' zone.")
    ] = None,
    for_: Annotated[
        str | None, typer.Option("--duration", metavar="DURATION", help="The new length.")
    ] = None,
    as_json: JsonOpt = False,
    timeout: TimeoutOpt = 15.0,
) -> None:
    """Move every occurrence from a date on: the rest becomes a new series, with its own invitation."""
    if start is not None and not _hh_mm(start):
        report(
            Abort(f"--start: {start!r} is not a time of day like 23:00", reasons=[("--start", "not HH:MM")]),
            as_json=as_json,
        )
    _change(
        series_id,
        since,
        as_json=as_json,
        timeout=timeout,
        verb="moved",
        action="reschedule",
        start_time=start,
        duration=duration("--duration", for_) if for_ else None,
    )


@app.command("extend")
def extend(
    series_id: SeriesArg,
    since: FromOpt,
    by: Annotated[str, typer.Option(metavar="DURATION", help="How much longer each occurrence lasts.")],
    as_json: JsonOpt = False,
    timeout: TimeoutOpt = 15.0,
) -> None:
    """Make every occurrence from a date on longer: the rest becomes a new series, with its own invitation."""
    _change(
        series_id,
        since,
        as_json=as_json,
        timeout=timeout,
        verb="lengthened",
        action="extend",
        by=duration("--by", by),
    )


def _change(
    series_id: str, since: str, *, as_json: bool, timeout: float, verb: str, **fields: object
) -> None:
    from forewarn.schemas.commands import ChangeSeries

    try:
        command = build(
            ChangeSeries, options=OPTIONS, series_id=series_id, since=_since(series_id, since), **fields
        )
    except Abort as exc:
        report(exc, as_json=as_json)
    run_command(
        subjects.SERIES,
        command,
        as_json=as_json,
        timeout=timeout,
        verb=f"({series_id} from {since} on: {verb})",
    )


def _since(series_id: str, text: str) -> datetime:
    """--from: a time, or a date read in the series' own zone (from the store)."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return parse_time("--from", text, None)
    from zoneinfo import ZoneInfo

    from sqlmodel import Session

    from ..scheduler.models import WindowSeries
    from .common import open_store

    with Session(open_store()) as session:
        found = session.get(WindowSeries, series_id)
    if found is None:
        fail("SERIES", f"no series {series_id} (see `forewarn list`)")
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(found.timezone)).astimezone(UTC)


def _hh_mm(text: str) -> bool:
    try:
        time.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 5
