"""Sending a window command to the scheduler: building it (an input error names the option at
fault), asking, and showing the answer; shared by book, the window commands, series and progress."""

from __future__ import annotations

import asyncio
import getpass
import socket
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from .common import Abort, duration, fail_validation, later, parse_time, report

if TYPE_CHECKING:
    from forewarn.schemas.base import Payload

    from .send import Answer

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

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
ShortOpt = Annotated[
    bool, typer.Option("--short", help="A window shorter than FOREWARN_MIN_DURATION (15m), on purpose.")
]
TimeoutOpt = Annotated[float, typer.Option(metavar="SECONDS", help="Seconds to wait for the scheduler.")]


def window_id(value: str) -> str:
    """Window ids are lower case; one read aloud or copied from a ticket may not be."""
    return value.strip().lower()


WindowArg = Annotated[
    str, typer.Argument(metavar="ID", help="The window id, e.g. mw-7k2q9x4d.", callback=window_id)
]


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


def run_command(
    subject: str,
    command: Payload,
    *,
    as_json: bool,
    timeout: float,
    verb: str,
    asks: str = "",
    yes: bool = False,
) -> None:
    """Send the command and show the window it left; `asks` ("Book") a person at a terminal first."""
    from .render import dump, print_window, window_json

    if asks:
        from .confirm import ask_first

        ask_first(command, asks, yes=yes, as_json=as_json)
    answer = ask(subject, command, as_json=as_json, timeout=timeout)
    window = answer.event["window"]
    tenants = [{"id": t.tenant_id, "name": t.name} for part in answer.impact for t in part.tenants]
    if as_json:
        dump(window_json(window, tenants, affected=tenants, command_id=command.command_id))
    else:
        print_window(window, tenants, headline=f"[green]✓[/] Window [bold]{window['id']}[/] {verb}")


def end_from(start_at: datetime, end: str | None, for_: str | None, tz: str | None) -> datetime:
    """The end from --end, or --duration after the start."""
    if end:
        return parse_time("--end", end, tz)
    return later("--duration", start_at, duration("--duration", for_ or ""))
