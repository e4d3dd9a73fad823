"""`forewarn webhook`: tenants' webhook endpoints, their secrets, and what was delivered to them."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from .common import EXIT_ENV, Abort, console, err, open_store, report, safe
from .render import dump

app = typer.Typer(
    help="Tenants' webhooks: CloudEvents signed as Standard Webhooks says.", no_args_is_help=True
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
EndpointArg = Annotated[
    str, typer.Argument(metavar="ENDPOINT", help="An endpoint id (ep_…), from `webhook list`.")
]


def _events(text: str | None) -> list[str]:
    from ..webhooks.store import EVENTS

    if not text:
        return list(EVENTS)
    wanted = [e.strip() for e in text.split(",") if e.strip()]
    unknown = [e for e in wanted if e not in EVENTS]
    if unknown or not wanted:
        raise Abort(f"--events: {', '.join(unknown) or 'none'} not among {', '.join(EVENTS)}")
    return wanted


@app.command("add")
def add(
    tenant: Annotated[str, typer.Argument(metavar="TENANT", help="A tenant id from the inventory.")],
    url: Annotated[str, typer.Argument(metavar="URL", help="Where to POST the tenant's events.")],
    events: Annotated[
        str | None, typer.Option("--events", metavar="EVENTS", help="Comma-separated; default all.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a webhook endpoint for a tenant; its signing secret is shown this once."""
    from ..inventory.models import Tenant
    from ..platform.db import transaction
    from ..webhooks.settings import WebhookSettings
    from ..webhooks.store import add_endpoint
    from ..webhooks.targets import refusal

    try:
        wanted = _events(events)
    except Abort as exc:
        report(exc, as_json=as_json)
    refused = refusal(url, WebhookSettings().webhook_allow)
    if refused:
        report(Abort(f"URL: {refused}"), as_json=as_json)
    box = _sealer(as_json)
    engine = open_store(as_json=as_json)
    with transaction(engine) as session:
        if session.get(Tenant, tenant) is None:
            report(Abort(f"TENANT: no tenant {tenant!r} in the inventory"), as_json=as_json)
        endpoint, secret = add_endpoint(session, tenant, url, wanted, box.seal)
        shown = {"id": endpoint.id, "tenant": tenant, "url": url, "events": wanted, "secret": secret}
    if as_json:
        dump(shown)
        return
    console.print(f"[green]✓[/] webhook [bold]{shown['id']}[/] for {tenant}: {safe(url)}", soft_wrap=True)
    console.print(f"  events: {', '.join(wanted)}")
    console.print(f"  secret: {shown['secret']}", highlight=False)
    err.print("[dim]The secret is shown this once: give it to the tenant to verify signatures.[/]")


@app.command("list")
def list_endpoints(
    tenant: Annotated[
        str | None, typer.Option("--tenant", metavar="TENANT", help="Only this tenant's.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Webhook endpoints, without their secrets."""
    from rich.table import Table
    from sqlmodel import Session, select

    from ..webhooks.store import WebhookEndpoint

    with Session(open_store(as_json=as_json)) as session:
        query = select(WebhookEndpoint).order_by(WebhookEndpoint.tenant_id, WebhookEndpoint.created_at)
        if tenant:
            query = query.where(WebhookEndpoint.tenant_id == tenant)
        rows = [
            {
                "id": e.id,
                "tenant": e.tenant_id,
                "url": e.url,
                "events": e.events,
                "disabled": e.disabled_reason if e.disabled_at else None,
                "created_at": e.created_at.isoformat(),
            }
            for e in session.exec(query)
        ]
    if as_json:
        dump(rows)
        return
    table = Table("Id", "Tenant", "URL", "Events", "State", header_style="bold", title="Webhooks")
    for r in rows:
        state = f"disabled: {r['disabled']}" if r["disabled"] else "enabled"
        table.add_row(r["id"], safe(r["tenant"]), safe(r["url"]), ", ".join(r["events"]), safe(state))
    console.print(table)


def _endpoint_or_abort(session, endpoint_id: str, *, as_json: bool):
    from ..webhooks.store import WebhookEndpoint

    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        report(Abort(f"ENDPOINT: no webhook {endpoint_id!r} (see `forewarn webhook list`)"), as_json=as_json)
    return endpoint


@app.command("remove")
def remove(endpoint_id: EndpointArg, as_json: JsonOpt = False) -> None:
    """Remove an endpoint: nothing more is sent to it; its delivery log stays."""
    from ..platform.db import transaction

    with transaction(open_store(as_json=as_json)) as session:
        session.delete(_endpoint_or_abort(session, endpoint_id, as_json=as_json))
    if as_json:
        dump({"id": endpoint_id, "removed": True})
    else:
        console.print(f"[green]✓[/] removed webhook [bold]{endpoint_id}[/]")


@app.command("rotate")
def rotate(endpoint_id: EndpointArg, as_json: JsonOpt = False) -> None:
    """A new signing secret, shown once; the old one signs too for FOREWARN_WEBHOOK_ROTATION_OVERLAP."""
    from forewarn.schemas.base import utcnow

    from ..platform.db import transaction
    from ..webhooks import store
    from ..webhooks.settings import WebhookSettings

    overlap = WebhookSettings().webhook_rotation_overlap
    box = _sealer(as_json)
    with transaction(open_store(as_json=as_json)) as session:
        endpoint = _endpoint_or_abort(session, endpoint_id, as_json=as_json)
        secret = store.rotate(session, endpoint, overlap, utcnow(), box.seal)
        until = endpoint.previous_until.isoformat()
    if as_json:
        dump({"id": endpoint_id, "secret": secret, "previous_valid_until": until})
        return
    console.print(f"[green]✓[/] new secret for [bold]{endpoint_id}[/]: {secret}", highlight=False)
    console.print(f"  the old secret signs beside it until {until}")


@app.command("deliveries")
def deliveries(
    tenant: Annotated[
        str | None, typer.Option("--tenant", metavar="TENANT", help="Only this tenant's.")
    ] = None,
    endpoint: Annotated[
        str | None, typer.Option("--endpoint", metavar="ENDPOINT", help="Only this one's.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", metavar="N", min=1, max=10000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """The latest webhook deliveries, and how each went."""
    from rich.table import Table
    from sqlmodel import Session, select

    from ..webhooks.store import WebhookDelivery

    with Session(open_store(as_json=as_json)) as session:
        query = select(WebhookDelivery).order_by(WebhookDelivery.created_at.desc()).limit(limit)
        if tenant:
            query = query.where(WebhookDelivery.tenant_id == tenant)
        if endpoint:
            query = query.where(WebhookDelivery.endpoint_id == endpoint)
        rows = [
            {
                "id": d.id,
                "endpoint": d.endpoint_id,
                "tenant": d.tenant_id,
                "event": d.event,
                "state": d.state,
                "attempts": d.attempts,
                "last_status": d.last_status,
                "last_error": d.last_error,
                "created_at": d.created_at.isoformat(),
                "updated_at": d.updated_at.isoformat(),
            }
            for d in session.exec(query)
        ]
    if as_json:
        dump(rows)
        return
    table = Table("Id", "Endpoint", "Tenant", "Event", "State", "Tries", "Last", header_style="bold")
    for r in rows:
        last = f"{r['last_status'] or ''} {r['last_error']}".strip()
        table.add_row(
            r["id"], r["endpoint"], safe(r["tenant"]), r["event"], r["state"], str(r["attempts"]), safe(last)
        )
    console.print(table)


@app.command("replay")
def replay(
    delivery_id: Annotated[
        str, typer.Argument(metavar="ID", help="A delivery id (msg_…), from `webhook deliveries`.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Send a delivery again, with the same webhook-id, whatever became of it."""
    from sqlmodel import Session

    from ..platform.db import transaction

    engine = open_store(as_json=as_json)
    with Session(engine) as session:
        found = _delivery(session, delivery_id, as_json=as_json)
    try:
        asyncio.run(_replay(found))
    except Abort as exc:
        report(exc, as_json=as_json)
    with transaction(engine) as session:
        row = _delivery(session, delivery_id, as_json=as_json)
        row.state = "pending"
    if as_json:
        dump({"id": delivery_id, "replayed": True})
    else:
        console.print(f"[green]✓[/] delivery [bold]{delivery_id}[/] queued again")


def _delivery(session, delivery_id: str, *, as_json: bool):
    from ..webhooks.store import WebhookDelivery

    row = session.get(WebhookDelivery, delivery_id)
    if row is None:
        report(
            Abort(f"ID: no webhook delivery {delivery_id!r} (see `forewarn webhook deliveries`)"),
            as_json=as_json,
        )
    return row


async def _replay(row) -> None:
    from forewarn.schemas.base import utcnow

    from ..bus.publish import publish
    from ..platform.config import CommonSettings
    from ..webhooks.store import queued
    from .common import connected

    settings = CommonSettings()
    # Only an operator's login may publish on the notifier's subjects.
    async with connected(settings, login="admin") as broker:
        out = queued(row, settings.retention, replay=int(utcnow().timestamp()))
        await publish(broker, out, timeout=settings.publish_timeout)


@app.command("new-key")
def new_key() -> None:
    """Print a new key for FOREWARN_SECRET_KEY, which seals webhook secrets at rest."""
    from cryptography.fernet import Fernet

    console.print(Fernet.generate_key().decode(), highlight=False)
    err.print(
        "[dim]Keep it where the services' environment comes from, never beside the database. "
        "To rotate: put the new key first (FOREWARN_SECRET_KEY='NEW OLD'), run "
        "`forewarn webhook reseal`, then drop the old one.[/]"
    )


@app.command("reseal")
def reseal(as_json: JsonOpt = False) -> None:
    """Seal every webhook secret with the first key of FOREWARN_SECRET_KEY (after a rotation or upgrade)."""
    from ..platform.db import transaction
    from ..webhooks.sealing import reseal_all

    box = _sealer(as_json)
    with transaction(open_store(as_json=as_json)) as session:
        changed = reseal_all(session, box)
    if as_json:
        dump({"resealed": changed})
    else:
        console.print(f"[green]✓[/] {changed} webhook secrets sealed with the first key")


def _sealer(as_json: bool):
    """The sealer from FOREWARN_SECRET_KEY, or the one-line refusal that says how to make one."""
    from ..platform.config import StartupError
    from ..webhooks.sealing import sealer
    from ..webhooks.settings import WebhookSettings

    try:
        return sealer(WebhookSettings().secret_key)
    except StartupError as exc:
        report(Abort(str(exc), code=EXIT_ENV), as_json=as_json)
