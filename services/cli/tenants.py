"""`forewarn tenant`: each tenant's secret link to its own view of the status page."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import Abort, console, err, open_store, report
from .render import dump

app = typer.Typer(
    help="Tenants' private status-page links, and forgetting their contacts.", no_args_is_help=True
)
TenantArg = Annotated[str, typer.Argument(metavar="TENANT", help="A tenant id from the inventory.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _unknown(tenant: str) -> Abort:
    return Abort(
        f"TENANT: no tenant {tenant!r} in the inventory (see `forewarn inventory show`)",
        reasons=[("TENANT", f"no tenant {tenant!r}")],
    )


@app.command("token")
def token(tenant: TenantArg, as_json: JsonOpt = False) -> None:
    """Issue a new secret link for a tenant; any earlier link stops working."""
    from ..inventory.models import UnknownTenant
    from ..statuspage.settings import StatusSettings
    from ..statuspage.tokens import issue, tenant_links

    settings = StatusSettings()
    if not settings.status_url:
        # A link handed to a customer must point where customers reach the page, which a
        # bind address (127.0.0.1, 0.0.0.0, port 0) never says.
        why = (
            "unset; a tenant's link needs the status page's public address (e.g. https://status.example.net)"
        )
        report(Abort(f"FOREWARN_STATUS_URL: {why}"), as_json=as_json)
    try:
        secret = issue(open_store(as_json=as_json), tenant)
    except UnknownTenant:
        report(_unknown(tenant), as_json=as_json)
    links = tenant_links(settings.public_url(), secret)
    page, webcal = links["page"], links["webcal"]
    if as_json:
        dump({"tenant": tenant, **links})
        return
    console.print(f"[green]✓[/] new link for [bold]{tenant}[/]; the earlier one, if any, no longer works.")
    console.print(f"  page:     {page}", highlight=False, soft_wrap=True)
    console.print(f"  calendar: {webcal}", highlight=False, soft_wrap=True)
    err.print("[dim]Send it to the tenant privately: anyone holding it can read the page.[/]")


@app.command("revoke")
def revoke_token(tenant: TenantArg, as_json: JsonOpt = False) -> None:
    """Revoke a tenant's secret link: it answers 404 from now on."""
    from ..inventory.models import UnknownTenant
    from ..statuspage.tokens import revoke

    try:
        had = revoke(open_store(as_json=as_json), tenant)
    except UnknownTenant:
        report(_unknown(tenant), as_json=as_json)
    if as_json:
        dump({"tenant": tenant, "revoked": had})
    elif had:
        console.print(f"[green]✓[/] revoked the link of [bold]{tenant}[/]")
    else:
        console.print(f"{tenant} had no link; nothing to revoke")


@app.command("forget")
def forget(tenant: TenantArg, as_json: JsonOpt = False) -> None:
    """Forget every address the tenant lists: out of the store, the ledger and the streams."""
    from .forget import forget_tenant

    forget_tenant(tenant, as_json=as_json)
