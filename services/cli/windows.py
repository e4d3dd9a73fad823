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

from .common import Abort, duration, fail, fail_validation, later, parse_time, report

if TYPE_CHECKING:
    from forewarn.schemas.base import Payload

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
}

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
TimeoutOpt = Annotated[float, typer.Option(metavar="SECONDS", help="Seconds to wait for the scheduler.")]


def _who() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()}"


def _command_id() -> str:
    return uuid.uuid4().hex


def _build(model: type[Payload], **fields: object) -> Payload:
    from pydantic import ValidationError

    try:
        return model(command_id=_command_id(), requested_by=_who(), **fields)
    except ValidationError as exc:
        fail_validation(exc, OPTION_OF)


def _run(subject: str, command: Payload, *, as_json: bool, timeout: float, verb: str) -> None:
    from ..config import CommonSettings
    from .common import connected
    from .render import dump, print_window, window_json
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
    end: Annotated[str | None, typer.Option(metavar="TIME", help="End time; or give --duration.")] = None,
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
    as_json: JsonOpt = False,
    timeout: TimeoutOpt = 15.0,
) -> None:
    """Book a maintenance window and show who it affects."""
    from pydantic import ValidationError

    from forewarn.schemas.base import Impact
    from forewarn.schemas.commands import BookWindow, HostSelector

    try:
        if impact.lower() not in IMPACTS:
            fail("--impact", f"{impact!r} is not one of {', '.join(IMPACTS)}")
        if (end is None) == (for_ is None):
            fail("--end", "give either --end or --duration, not both or neither")
        start_at = parse_time("--start", start, tz)
        end_at = _end(start_at, end, for_, tz)
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
        command = _build(
            BookWindow,
            title=title,
            description=description,
            impact=Impact.parse(impact),
            start=start_at,
            end=end_at,
            hosts=selector,
            allow_overlap=allow_overlap,
        )
    except Abort as exc:
        report(exc, as_json=as_json)
    _run(subjects.BOOK, command, as_json=as_json, timeout=timeout, verb="scheduled")


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
        command = _build(RescheduleWindow, window_id=window_id, start=start_at, end=end_at)
    except Abort as exc:
        report(exc, as_json=as_json)
    _run(subjects.RESCHEDULE, command, as_json=as_json, timeout=timeout, verb="rescheduled")


def extend(
    window_id: WindowArg,
    by: Annotated[str, typer.Option(metavar="DURATION", help="How much longer, e.g. 30m.")],
    as_json: JsonOpt = False,
    timeout: TimeoutOpt = 15.0,
) -> None:
    """Push a window's end later."""
    from forewarn.schemas.commands import ExtendWindow

    try:
        command = _build(ExtendWindow, window_id=window_id, by=duration("--by", by))
    except Abort as exc:
        report(exc, as_json=as_json)
    _run(subjects.EXTEND, command, as_json=as_json, timeout=timeout, verb="extended")


def cancel(
    window_id: WindowArg,
    reason: Annotated[str, typer.Option(metavar="TEXT", help="Why, for customers.")],
    as_json: JsonOpt = False,
    timeout: TimeoutOpt = 15.0,
) -> None:
    """Call a window off."""
    from forewarn.schemas.commands import CancelWindow

    try:
        command = _build(CancelWindow, window_id=window_id, reason=reason)
    except Abort as exc:
        report(exc, as_json=as_json)
    _run(subjects.CANCEL, command, as_json=as_json, timeout=timeout, verb="cancelled")


def complete(window_id: WindowArg, as_json: JsonOpt = False, timeout: TimeoutOpt = 15.0) -> None:
    """End a running window now."""
    from forewarn.schemas.commands import CompleteWindow

    try:
        command = _build(CompleteWindow, window_id=window_id)
    except Abort as exc:
        report(exc, as_json=as_json)
    _run(subjects.COMPLETE, command, as_json=as_json, timeout=timeout, verb="completed")


def _end(start_at: datetime, end: str | None, for_: str | None, tz: str | None) -> datetime:
    """The end from --end, or --duration after the start."""
    if end:
        return parse_time("--end", end, tz)
    return later("--duration", start_at, duration("--duration", for_ or ""))
