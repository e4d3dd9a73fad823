"""`forewarn report`: the completion report of a window that ended."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ..common.text import plural
from .commands import WindowArg
from .common import Abort, console, open_store, report, safe
from .render import card, dump, print_answers, when

if TYPE_CHECKING:
    from sqlmodel import Session


def report_window(
    window_id: WindowArg,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON, with every tenant and failure.")
    ] = False,
) -> None:
    """Print the completion report of a window that completed or was cancelled, with current counts."""
    from sqlmodel import Session

    from ..answers.store import acknowledgements
    from ..reporter.build import NoReport, affected_tenants, build_report, failures
    from ..reporter.mail import overrun_text

    with Session(open_store(as_json=as_json)) as session:
        try:
            result = build_report(session, window_id)
        except NoReport:
            report(Abort(_why_none(session, window_id)), as_json=as_json)
        tenants = affected_tenants(session, window_id)
        refused = failures(session, window_id)
        acks = acknowledgements(session, window_id, [t["tenant_id"] for t in tenants])
    if as_json:
        dump(
            result.model_dump(mode="json")
            | {
                "tenants": tenants,
                "failures": [f.model_dump(mode="json") for f in refused],
                "answers": acks.as_json(),
            }
        )
        return
    w = result.window
    actual = (
        when(result.actual_start, result.actual_end or result.actual_start)
        if result.actual_start
        else "the work never began"
    )
    components = ", ".join(f"{c.site} {c.role}: {plural(c.hosts, 'hosts')}" for c in result.components)
    affected = f"{plural(result.tenant_count, 'tenants')}, {plural(result.resource_count, 'resources')}"
    n = result.notices
    console.print(f"Report [bold]{w.id}[/]")
    card(
        [
            ("Title", safe(w.title)),
            ("Outcome", f"{result.outcome} (impact {w.impact.value})"),
            ("Planned", when(result.planned_start, result.planned_end)),
            ("Actual", actual),
            ("Overrun", overrun_text(result.overrun)),
            ("Affected", f"{affected} ({components})"),
            ("Notices", f"{n.sent} sent, {n.failed} failed, {n.pending} pending"),
            ("Answers", acks.line()),
        ]
    )
    print_answers(acks.as_json())
    kinds = Table("Notice", "Sent", "Failed", "Pending", header_style="bold", title="Notices by kind")
    for kind, c in result.notices_by_kind.items():
        kinds.add_row(kind, str(c.sent), str(c.failed), str(c.pending))
    console.print(kinds)
    if refused:
        table = Table("Tenant", "Contact", "Notice", "Reply", header_style="bold", title="Failed notices")
        for f in refused:
            table.add_row(safe(f.tenant_id), safe(f.contact), f"{f.kind} r{f.sequence}", safe(f.reason))
        console.print(table)
    if result.tenant_changes:
        moved = Table(
            "Tenant", "Change", "When", header_style="bold", title="Joined or left before the start"
        )
        for c in result.tenant_changes:
            moved.add_row(safe(c.tenant_id), c.change, f"{c.at:%Y-%m-%d %H:%M:%S} UTC")
        console.print(moved)
    people = Table("Tenant", "Name", "Resources", header_style="bold", title="Affected tenants")
    for t in tenants:
        people.add_row(safe(t["tenant_id"]), safe(t["name"]), str(len(t["resources"])))
    console.print(people)


def _why_none(session: Session, window_id: str) -> str:
    from ..scheduler.models import Window

    window = session.get(Window, window_id)
    if window is None:
        return f"ID: no window {window_id} (see `forewarn list`)"
    if window.state in ("scheduled", "in_progress"):
        return (
            f"ID: window {window_id} is {window.state}; its report is made when it completes or is cancelled"
        )
    return (
        f"ID: the report of window {window_id} is not ready yet; "
        "the reporter writes it once the window's impact is resolved (is `forewarn run reporter` running?)"
    )
