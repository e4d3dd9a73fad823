"""`forewarn progress`: ops say how far a rolling window's work has got, host by host or batch by batch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from forewarn.schemas import subjects

from .commands import JsonOpt, TimeoutOpt, WindowArg, ask, build
from .common import Abort, fail, report

if TYPE_CHECKING:
    from .send import Answer

OPTIONS = {"hosts": "--host", "batch": "--batch", "step": "--started/--done", "window_id": "ID"}


def progress(
    window_id: WindowArg,
    host: Annotated[
        list[str] | None,
        typer.Option(metavar="NODESET", help="Hosts the report is about (repeatable), e.g. sto1-cmp-03."),
    ] = None,
    batch: Annotated[int | None, typer.Option(metavar="N", help="Every host of batch N (from 1).")] = None,
    started: Annotated[bool, typer.Option("--started", help="Work on them has begun.")] = False,
    done: Annotated[bool, typer.Option("--done", help="Work on them is done; they are back.")] = False,
    as_json: JsonOpt = False,
    timeout: TimeoutOpt = 15.0,
) -> None:
    """Report work on a running rolling window's hosts as begun or done.

    A tenant whose hosts are all done is sent its all-clear at once; tenants whose
    slots the work running late moved past FOREWARN_SLOT_SLACK are sent their new
    slots. The last host done completes the window.
    """
    from forewarn.schemas.commands import ReportProgress

    try:
        if started == done:
            fail("--started/--done", "give one of --started or --done")
        if bool(host) == (batch is not None):
            fail("--host", "give either --host or --batch, not both or neither")
        command = build(
            ReportProgress,
            options=OPTIONS,
            window_id=window_id,
            step="done" if done else "started",
            hosts=",".join(host) if host else None,
            batch=batch,
        )
    except Abort as exc:
        report(exc, as_json=as_json)
    answer = ask(subjects.PROGRESS, command, as_json=as_json, timeout=timeout)
    _show(answer, command_id=command.command_id, as_json=as_json)


def _show(answer: Answer, *, command_id: str, as_json: bool) -> None:
    from forewarn.schemas.windows import WindowView

    from ..common import rolling
    from ..common.hostnames import fold
    from .common import console, safe
    from .render import dump, print_batches, window_json

    event = answer.event
    window = WindowView.model_validate(event["window"])
    tenants = [t for part in answer.impact for t in part.tenants]
    cleared = sorted({t.tenant_id: t.name for t in tenants if rolling.cleared_now(window, t)}.items())
    moved = sorted({t.tenant_id: t.name for t in tenants if rolling.moved_now(window, t)}.items())
    done, total = rolling.progress(window)
    if as_json:
        dump(
            window_json(
                event["window"], [{"id": i} for i in {t.tenant_id: 0 for t in tenants}], command_id=command_id
            )
            | {"cleared": [i for i, _ in cleared], "moved": [i for i, _ in moved]}
        )
        return
    console.print(
        f"[green]✓[/] Window [bold]{window.id}[/]: {fold(event['hosts'])} {event['step']}; "
        f"{done} of {total} hosts done",
        highlight=False,
    )
    # What this step tells whom: the notifier sends it, and `forewarn show` counts what it sent.
    for label, who in (("All clear to", cleared), ("New slot to", moved)):
        if who:
            names = ", ".join(safe(name) for _, name in who)
            console.print(f"{label} {len(who)}: {names}", highlight=False, soft_wrap=True)
    if rolling.all_done(window.batches):
        console.print("Every host is done: the window is complete.")
    print_batches(event["window"])
