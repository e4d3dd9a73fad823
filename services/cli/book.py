"""`forewarn book`: a window, rolling or recurring, from the command line to the scheduler."""

from __future__ import annotations

from typing import Annotated

import typer

from forewarn.schemas import subjects

from . import recurrence
from .commands import JsonOpt, ShortOpt, TimeoutOpt, build, end_from, run_command
from .common import Abort, duration, fail, fail_validation, parse_time, report
from .confirm import YesOpt

IMPACTS = ("outage", "degraded", "reduced-redundancy", "no-impact")
_ROLL = "Rolling windows"
_SERIES = "Recurring windows"


def book(
    title: Annotated[str, typer.Option(metavar="TEXT", help="What the maintenance is, for customers.")],
    impact: Annotated[str, typer.Option(metavar="IMPACT", help=f"One of {', '.join(IMPACTS)}.")],
    start: Annotated[
        str, typer.Option(metavar="TIME", help="ISO 8601 with offset, a naive time with --tz, or +30m.")
    ],
    end: Annotated[
        str | None,
        typer.Option(
            metavar="TIME", help="End time; or give --duration (a rolling window may give neither)."
        ),
    ] = None,
    for_: Annotated[
        str | None, typer.Option("--duration", metavar="DURATION", help="Length, e.g. 2h or 1h30m.")
    ] = None,
    hosts: Annotated[
        str | None, typer.Option(metavar="NODESET", help="Hosts in node-set syntax, e.g. sto1-cmp-[01-08].")
    ] = None,
    site: Annotated[
        list[str] | None, typer.Option(metavar="SITE", help="Only hosts at this site (repeatable).")
    ] = None,
    role: Annotated[
        list[str] | None, typer.Option(metavar="ROLE", help="Only hosts with this role (repeatable).")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option(metavar="TAG", help="Only hosts with this tag (repeatable).")
    ] = None,
    aggregate: Annotated[
        list[str] | None,
        typer.Option(metavar="NAME", help="Only hosts in this OpenStack aggregate (repeatable)."),
    ] = None,
    az: Annotated[
        list[str] | None,
        typer.Option(
            "--az", metavar="ZONE", help="Only hosts in this OpenStack availability zone (repeatable)."
        ),
    ] = None,
    description: Annotated[str, typer.Option(metavar="TEXT", help="Details for customers.")] = "",
    tz: Annotated[
        str | None, typer.Option(metavar="ZONE", help="Time zone for times given without offset.")
    ] = None,
    allow_overlap: Annotated[
        bool, typer.Option("--allow-overlap", help="Allow overlap with other live windows.")
    ] = False,
    short: ShortOpt = False,
    batch_size: Annotated[
        int | None,
        typer.Option(
            metavar="N", help="Rolling: take the hosts down N at a time, in order.", rich_help_panel=_ROLL
        ),
    ] = None,
    batch: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NODESET",
            help="Rolling: one batch of hosts, in order (repeatable; --hosts defaults to them all).",
            rich_help_panel=_ROLL,
        ),
    ] = None,
    per_batch: Annotated[
        str | None,
        typer.Option(metavar="DURATION", help="Rolling: each batch's slot, e.g. 40m.", rich_help_panel=_ROLL),
    ] = None,
    rrule: Annotated[
        str | None,
        typer.Option(
            metavar="RULE",
            help="Recurring: an RFC 5545 RRULE, e.g. 'FREQ=MONTHLY;BYDAY=2TU', read in --tz; "
            "--start may then be a time of day (22:00).",
            rich_help_panel=_SERIES,
        ),
    ] = None,
    count: Annotated[
        int | None,
        typer.Option(metavar="N", help="Recurring: this many occurrences.", rich_help_panel=_SERIES),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            metavar="DATE", help="Recurring: no occurrence after this date.", rich_help_panel=_SERIES
        ),
    ] = None,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
    timeout: TimeoutOpt = 15.0,
) -> None:
    """Book a maintenance window and show who it affects.

    A rolling window takes its hosts down in batches, each in a slot of its own
    (--batch-size or --batch, with --per-batch); each tenant is told its own slots.
    A recurring window (--rrule with --count or --until) books a series: one window
    per occurrence, one recurring invitation per tenant.
    """
    from pydantic import ValidationError

    from forewarn.schemas.base import Impact
    from forewarn.schemas.commands import BookWindow, HostSelector

    try:
        if impact.lower() not in IMPACTS:
            fail("--impact", f"{impact!r} is not one of {', '.join(IMPACTS)}")
        rolling = _rolling(batch_size, batch or [], per_batch)
        if end is not None and for_ is not None:
            fail("--end", "give either --end or --duration, not both")
        if end is None and for_ is None and rolling is None:
            fail("--end", "give either --end or --duration")
        repeats = recurrence.rule(rrule, tz, count, until) if rrule else None
        if repeats is None and (count is not None or until is not None):
            fail("--rrule", "--count and --until belong to a series: give its --rrule")
        start_at = recurrence.first_start(start, tz) if rrule else parse_time("--start", start, tz)
        end_at = end_from(start_at, end, for_, tz) if (end or for_) else None
        if batch and not hosts:
            hosts = ",".join(batch)
        if not (hosts or site or role or tag or aggregate or az):
            fail("--hosts", "select hosts with --hosts, --site, --role, --tag, --aggregate or --az")
        try:
            # A host's tags from OpenStack are the names of its aggregates.
            tags = [*(tag or []), *(aggregate or [])]
            selector = HostSelector(
                nodeset=hosts, sites=site or [], roles=role or [], tags=tags, zones=az or []
            )
        except ValidationError as exc:
            fail_validation(
                exc,
                {
                    "nodeset": "--hosts",
                    "sites": "--site",
                    "roles": "--role",
                    "tags": "--tag",
                    "zones": "--az",
                },
            )
        command = build(
            BookWindow,
            title=title,
            description=description,
            impact=Impact.parse(impact),
            start=start_at,
            end=end_at,
            hosts=selector,
            allow_overlap=allow_overlap,
            short=short,
            rolling=rolling,
            recurrence=repeats,
        )
    except Abort as exc:
        report(exc, as_json=as_json)
    run_command(
        subjects.BOOK, command, as_json=as_json, timeout=timeout, verb="scheduled", asks="Book", yes=yes
    )


def _rolling(batch_size: int | None, batches: list[str], per_batch: str | None) -> dict | None:
    """The rolling part of a booking, or None for a window that takes all its hosts at once."""
    if batch_size is None and not batches and per_batch is None:
        return None
    if batch_size is not None and batches:
        fail("--batch-size", "give either --batch-size or --batch, not both")
    if batch_size is None and not batches:
        fail("--batch-size", "a rolling window needs --batch-size or --batch")
    if per_batch is None:
        fail("--per-batch", "a rolling window needs the length of each batch's slot, e.g. --per-batch 40m")
    return {"batch_size": batch_size, "batches": batches, "per_batch": duration("--per-batch", per_batch)}
