"""Looking at windows: list, show and tail."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from forewarn.schemas.base import WindowState

from ..common.text import plural
from .commands import WindowArg
from .common import Abort, console, open_store, report, safe, zone
from .render import dump, print_answers, print_window, when, window_json

if TYPE_CHECKING:
    from ..inventory.models import HostHold
    from ..scheduler.models import WindowEventRecord

STATES = [s.value for s in WindowState]
LIVE = [s.value for s in WindowState if s.live]


def list_windows(
    state: Annotated[
        list[str] | None, typer.Option(metavar="STATE", help=f"Only these states: {', '.join(STATES)}.")
    ] = None,
    site: Annotated[
        list[str] | None, typer.Option(metavar="SITE", help="Only windows touching this site.")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Ended windows too: completed and cancelled.")] = False,
    tz: Annotated[
        str | None, typer.Option(metavar="ZONE", help="Show times in this zone (default UTC).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the live windows (scheduled and in progress), soonest first."""
    from sqlalchemy import select
    from sqlmodel import Session

    from ..scheduler.models import Window
    from ..scheduler.queries import hosts_of, view

    try:
        bad = [s for s in state or [] if s not in STATES]
        if bad:
            raise Abort(f"--state: {', '.join(bad)} is not one of {', '.join(STATES)}")
        shown_in = zone(tz) if tz else None
    except Abort as exc:
        report(exc, as_json=as_json)
    # Ended windows are history: shown when asked for, by --all or by their state.
    wanted = state or (STATES if all_ else LIVE)
    # Site codes are upper case in the inventory; operators type them either way.
    sites = {s.upper() for s in site or []}
    with Session(open_store(as_json=as_json)) as session:
        query = select(Window).where(Window.state.in_(wanted)).order_by(Window.start)
        windows = [w for w in session.scalars(query) if not sites or sites & set(w.sites)]
        booked = bool(windows) or session.scalars(select(Window.id).limit(1)).first() is not None
        if as_json:
            dump(
                [
                    window_json(view(w, hosts_of(session, w.id)).model_dump(mode="json"), None)
                    | {"sites": w.sites}
                    for w in windows
                ]
            )
            return
        table = Table("ID", "Status", "When", "Impact", "Sites", "Title", "Series", header_style="bold")
        for w in windows:
            table.add_row(
                w.id,
                w.state,
                when(w.start, w.end, shown_in),
                w.impact,
                ",".join(w.sites),
                safe(w.title),
                w.series_id or "",
            )
        if windows:
            console.print(table)
        elif booked and not (state or sites or all_):
            console.print("No live windows. `forewarn list --all` shows the ended ones too.")
        elif booked:
            filters = [*(f"--state {s}" for s in state or []), *(f"--site {s}" for s in sorted(sites))]
            console.print(f"No windows match {' '.join(filters or ['--all'])}.")
        else:
            console.print("No windows yet. Book one with `forewarn book`.")


def show(
    window_id: WindowArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one window: its hosts, affected tenants and timeline."""
    from sqlalchemy import select
    from sqlmodel import Session

    from ..answers.store import acknowledgements
    from ..impact.resolve import resolve_hosts
    from ..inventory.models import HostHold
    from ..mail import ledger
    from ..scheduler.models import Window, WindowEventRecord
    from ..scheduler.queries import hosts_of, view

    with Session(open_store(as_json=as_json)) as session:
        window = session.get(Window, window_id)
        if window is None:
            report(Abort(f"ID: no window {window_id} (see `forewarn list`)"), as_json=as_json)
        hosts = hosts_of(session, window.id)
        found = resolve_hosts(session.connection(), hosts).tenants
        tenants = [
            {"id": t.tenant_id, "name": t.name, "resources": t.resources, "contacts": t.contacts}
            for t in sorted(found.values(), key=lambda t: t.tenant_id)
        ]
        timeline = [
            {
                "at": r.occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "event": r.kind,
                "revision": r.revision,
                "detail": _detail(r),
            }
            for r in session.scalars(
                select(WindowEventRecord)
                .where(WindowEventRecord.window_id == window.id)
                # In time order: a refused command (revision 0) sits where it happened.
                .order_by(WindowEventRecord.occurred_at, WindowEventRecord.revision)
            )
        ]
        data = view(window, hosts).model_dump(mode="json")
        notices = ledger.counts(session, window.id)
        acks = acknowledgements(session, window.id, [t["id"] for t in tenants])
        services = [
            _service_state(h)
            for h in session.scalars(select(HostHold).where(HostHold.window_id == window.id))
        ]
    if as_json:
        dump(
            window_json(
                data,
                tenants,
                affected=tenants,
                sites=window.sites,
                timeline=timeline,
                notices=notices,
                answers=acks.as_json(),
                compute_services=services,
            )
        )
        return
    print_window(data, tenants, headline=f"Window [bold]{window.id}[/]")
    if silent := [t["name"] for t in tenants if not t["contacts"]]:
        # A tenant nobody can be told about is never silent here.
        console.print(
            f"[yellow]No contact[/] {plural(len(silent), 'affected tenants')}: "
            + ", ".join(safe(name) for name in silent),
            highlight=False,
            soft_wrap=True,
        )
    console.print("Notices  " + ", ".join(f"{n} {state}" for state, n in notices.items()))
    print_answers(acks.as_json(), acks.line())
    for item in services:
        console.print(
            f"Compute service on {safe(item['host'])}: {item['state']} ({safe(item['reason'])})",
            highlight=False,
            soft_wrap=True,
        )
    table = Table("At (UTC)", "Event", "Rev", "Detail", header_style="bold", title="Timeline")
    for item in timeline:
        table.add_row(
            item["at"].replace("T", " ").rstrip("Z"),
            item["event"],
            str(item["revision"]),
            safe(item["detail"]),
        )
    console.print(table)


def _service_state(hold: HostHold) -> dict:
    """A host's compute service during the window, as FOREWARN_OPENSTACK_DISABLE_HOSTS left it."""
    if not hold.ours:
        state = "was disabled before the window, left as it was"
    elif hold.released_at is None:
        state = "disabled by forewarn"
    else:
        # Enabled again, unless another window still held it or someone changed it since.
        state = "disabled by forewarn, released when the window ended"
    return {"host": hold.host, "state": state, "reason": hold.reason}


def _detail(record: WindowEventRecord) -> str:
    event = json.loads(record.payload)
    if record.kind == "rescheduled":
        return f"moved from {event['previous_start'][:16].replace('T', ' ')}"
    if record.kind == "extended":
        return f"end moved from {event['previous_end'][:16].replace('T', ' ')}"
    if record.kind == "cancelled":
        return event["reason"]
    if record.kind == "started" and event.get("late"):
        return f"started late by {event['late_by']}"
    if record.kind == "completed" and event.get("early"):
        return "completed early"
    if record.kind == "rejected":
        reasons = "; ".join(f"{r['field']}: {r['message']}" for r in event["reasons"])
        return f"{event['command']} refused: {reasons}"
    if record.kind == "progressed":
        from ..common.hostnames import fold

        return f"{fold(event['hosts'])} {event['step']}"
    return ""


def calendar(
    tenant: Annotated[str, typer.Argument(metavar="TENANT", help="A tenant id from the inventory.")],
) -> None:
    """Print a tenant's iCalendar feed: current and upcoming windows, cancellations included."""
    from ..ical.feed import tenant_feed
    from ..inventory.models import UnknownTenant
    from ..platform.config import CommonSettings

    settings = CommonSettings()
    try:
        feed = tenant_feed(open_store(), tenant, provider=settings.provider, organizer=settings.mail_from)
    except UnknownTenant:
        report(
            Abort(f"TENANT: no tenant {tenant!r} in the inventory (see `forewarn inventory show`)"),
            as_json=False,
        )
    sys.stdout.write(feed.decode())
