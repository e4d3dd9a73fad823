"""Booking and changing windows: book, reschedule, extend, cancel, complete."""

from __future__ import annotations

import asyncio
import getpass
import socket
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from forewarn.schemas import subjects

from . import recurrence
from .common import Abort, duration, fail, fail_validation, later, parse_time, report

if TYPE_CHECKING:
    from forewarn.schemas.base import Payload

    from .send import Answer

IMPACTS = ("outage", "degraded", "reduced-redundancy", "no-impact")
OPTION_OF = {
    "title": "--title",
    "description": "--description",
    "impact": "--impact",
    "start": "--start",
    "end": "--end",
    "hosts": "--hosts",
    "hosts.nodeset": "--hosts",
    "window_id": "ID",
    "by": "--by",
    "reason": "--reason",
    "rolling": "--per-batch",
    "rolling.batch_size": "--batch-size",
    "rolling.batches": "--batch",
    "rolling.per_batch": "--per-batch",
    "recurrence": "--rrule",
    "recurrence.rrule": "--rrule",
    "recurrence.timezone": "--tz",
}

_ROLL = "Rolling windows"
_SERIES = "Recurring windows"
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
TimeoutOpt = Annotated[float, typer.Option(metavar="SECONDS", help="Seconds to wait for the scheduler.")]


def _who() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()}"


def _command_id() -> str:
    return uuid.uuid4().hex


def build(model: type[Payload], *, options: dict[str, str] = OPTION_OF, **fields: object) -> Payload:
    """The command, or an input error naming each option at fault."""
    from pydantic import ValidationError

    try:
        return model(command_id=_command_id(), requested_by=_who(), **fields)
    except ValidationError as exc:
        fail_validation(exc, options)


def ask(subject: str, command: Payload, *, as_json: bool, timeout: float) -> Answer:
    """Send a command; the scheduler's answer and its impact, or exit saying why not."""
    from ..platform.config import CommonSettings
    from .common import connected
    from .send import rejection, send

    settings = CommonSettings()

    async def go():
        async with connected(settings) as broker:
            return await send(broker, subject, command, timeout=timeout, impact_timeout=timeout)

    try:
        answer = asyncio.run(go())
        if answer.rejected:
            raise rejection(answer)
    except Abort as exc:
        report(exc, as_json=as_json)
    return answer


def run_command(subject: str, command: Payload, *, as_json: bool, timeout: float, verb: str) -> None:
    from .render import dump, print_window, window_json

    answer = ask(subject, command, as_json=as_json, timeout=timeout)
    window = answer.event["window"]
    tenants = [{"id": t.tenant_id, "name": t.name} for part in answer.impact for t in part.tenants]
    if as_json:
        dump(window_json(window, tenants, affected=tenants, command_id=command.command_id))
    else:
        print_window(window, tenants, headline=f"[green]✓[/] Window [bold]{window['id']}[/] {verb}")


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
        end_at = _end(start_at, end, for_, tz) if (end or for_) else None
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
            rolling=rolling,
            recurrence=repeats,
        )
    except Abort as exc:
        report(exc, as_json=as_json)
    run_command(subjects.BOOK, command, as_json=as_json, timeout=timeout, verb="scheduled")


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


WindowArg = Annotated[str, typer.Argument(metavar="ID", help="The window id, e.g. mw-7k2q9x4d.")]


def reschedule(
    window_id: WindowArg,
    start: Annotated[str, typer.Option(metavar="TIME", help="New start.")],
    end: Annotated[str | None, typer.Option(metavar="TIME", help="New end; or --duration.")] = None,
    for_: Annotated[str | None, typer.Option("--duration", metavar="DURATION", help="New length.")] = None,
    tz: Annotated[
        str | None, typer.Option(metavar="ZONE", help="Time zone for times without offset.")
    ] = None,
    as_json: JsonOpt = False,
    timeout: TimeoutOpt = 15.0,
) -> None:
    """Move a scheduled window to new times."""
    from forewarn.schemas.commands import RescheduleWindow

    try:
        if (end is None) == (for_ is None):
            fail("--end", "give either --end or --duration, not both or neither")
        start_at = parse_time("--start", start, tz)
        end_at = _end(start_at, end, for_, tz)
        command = build(RescheduleWindow, window_id=window_id, start=start_at, end=end_at)
    except Abort as exc:
        report(exc, as_json=as_json)
    run_command(subjects.RESCHEDULE, command, as_json=as_json, timeout=timeout, verb="rescheduled")


def extend(
    window_id: WindowArg,
    by: Annotated[str, typer.Option(metavar="DURATION", help="How much longer, e.g. 30m.")],
    as_json: JsonOpt = False,
    timeout: TimeoutOpt = 15.0,
) -> None:
    """Push a window's end later."""
    from forewarn.schemas.commands import ExtendWindow

    try:
        command = build(ExtendWindow, window_id=window_id, by=duration("--by", by))
    except Abort as exc:
        report(exc, as_json=as_json)
    run_command(subjects.EXTEND, command, as_json=as_json, timeout=timeout, verb="extended")


def cancel(
    window_id: WindowArg,
    reason: Annotated[str, typer.Option(metavar="TEXT", help="Why, for customers.")],
    as_json: JsonOpt = False,
    timeout: TimeoutOpt = 15.0,
) -> None:
    """Call a window off."""
    from forewarn.schemas.commands import CancelWindow

    try:
        command = build(CancelWindow, window_id=window_id, reason=reason)
    except Abort as exc:
        report(exc, as_json=as_json)
    run_command(subjects.CANCEL, command, as_json=as_json, timeout=timeout, verb="cancelled")


def complete(window_id: WindowArg, as_json: JsonOpt = False, timeout: TimeoutOpt = 15.0) -> None:
    """End a running window now."""
    from forewarn.schemas.commands import CompleteWindow

    try:
        command = build(CompleteWindow, window_id=window_id)
    except Abort as exc:
        report(exc, as_json=as_json)
    run_command(subjects.COMPLETE, command, as_json=as_json, timeout=timeout, verb="completed")


def _end(start_at: datetime, end: str | None, for_: str | None, tz: str | None) -> datetime:
    """The end from --end, or --duration after the start."""
    if end:
        return parse_time("--end", end, tz)
    return later("--duration", start_at, duration("--duration", for_ or ""))
