"""`forewarn inventory`: load and inspect sites, hosts, tenants and resources."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ..common.text import plural
from .common import Abort, console, err, open_store, report, safe
from .render import dump

if TYPE_CHECKING:
    from ..inventory.sync import SyncResult

app = typer.Typer(help="Load and inspect the inventory.", no_args_is_help=True)


@app.command("load")
def load(
    file: Annotated[Path, typer.Argument(help="YAML or JSON with sites, hosts, tenants and resources.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Upsert an inventory file in one transaction: all of it, or none."""
    from ..inventory.load import InventoryError, load_inventory

    engine = open_store(as_json=as_json, creates=True)
    try:
        counts = load_inventory(engine=engine, path=file)
    except InventoryError as exc:
        shown = exc.problems[:50]
        more = f"\n  … and {len(exc.problems) - 50} more" if len(exc.problems) > 50 else ""
        report(
            Abort(
                f"{file} was not loaded (nothing changed):\n  " + "\n  ".join(shown) + more,
                reasons=exc.reasons,
            ),
            as_json=as_json,
        )
    if as_json:
        dump(counts)
    else:
        loaded = ", ".join(plural(n, k) for k, n in counts.items())
        console.print(f"[green]✓[/] loaded {safe(file)}: {loaded}")


@app.command("show")
def show(
    site: Annotated[str | None, typer.Option(metavar="SITE", help="Only this site.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Summarise the inventory by site and role."""
    from ..inventory.summary import summarize, tenant_count

    engine = open_store(as_json=as_json)
    # Site codes are upper case in the inventory; operators type them either way.
    rows = summarize(engine, site=site.upper() if site else None)
    if as_json:
        dump(rows)
        return
    if not rows and site and (everything := summarize(engine)):
        known = ", ".join(sorted({r["site"] for r in everything}))
        console.print(f"No site {safe(site.upper())} in the inventory (its sites: {known}).")
        return
    if not rows:
        console.print(
            "The inventory is empty. Load one with `forewarn inventory load examples/inventory.yaml`."
        )
        return
    table = Table("Site", "Role", "Hosts", "Resources", "Tenants", header_style="bold")
    for r in rows:
        table.add_row(
            safe(f"{r['site']} ({r['site_name']})"),
            r["role"],
            str(r["hosts"]),
            str(r["resources"]),
            str(r["tenants"]),
        )
    table.caption = f"{plural(tenant_count(engine), 'tenants')} in all"
    console.print(table)


@app.command("hosts")
def list_hosts(
    site: Annotated[str | None, typer.Option(metavar="SITE", help="Only this site.")] = None,
    role: Annotated[
        str | None, typer.Option(metavar="ROLE", help="Only this role, e.g. compute or gpu.")
    ] = None,
    tag: Annotated[str | None, typer.Option(metavar="TAG", help="Only hosts with this tag.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The hosts a booking can name, by site and role, in node-set form."""
    from ..inventory.summary import hosts
    from ..scheduler.selectors import fold

    engine = open_store(as_json=as_json)
    found = hosts(engine, site=site.upper() if site else None, role=role, tag=tag)
    if as_json:
        dump(found)
        return
    if not found:
        filters = " ".join(f"--{k} {v}" for k, v in (("site", site), ("role", role), ("tag", tag)) if v)
        console.print(f"No hosts match {safe(filters)}." if filters else "The inventory has no hosts.")
        return
    groups: dict[tuple[str, str], list[str]] = {}
    for host in found:
        groups.setdefault((host["site"], host["role"]), []).append(host["name"])
    table = Table("Site", "Role", "Hosts", "Count", header_style="bold")
    for (site_code, role_name), names in groups.items():
        table.add_row(safe(site_code), safe(role_name), safe(fold(names)), str(len(names)))
    console.print(table)


SOURCES = ("openstack",)


@app.command("sync")
def sync_source(
    source: Annotated[str, typer.Argument(metavar="SOURCE", help="Where the inventory is: openstack.")],
    cloud: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NAME",
            help="A clouds.yaml entry (repeatable). Default: FOREWARN_OPENSTACK_CLOUDS, "
            "else OS_CLOUD or the OS_* variables.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would change; change nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Make the store hold what a cloud holds: hosts, servers, projects and their contacts.

    Each cloud keeps its own rows: what it no longer lists is removed, and rows
    from inventory files or other clouds are left alone. All of a cloud's
    changes apply together, or none do.
    """
    from ..inventory.cloud import CloudError, sync_cloud
    from ..inventory.settings import InventorySettings

    if source not in SOURCES:
        report(Abort(f"SOURCE: {source!r} is not one of {', '.join(SOURCES)}"), as_json=as_json)
    settings = InventorySettings()
    conventions = settings.conventions()
    engine = open_store(as_json=as_json, creates=True)
    results = []
    for name in cloud or settings.clouds or [None]:
        try:
            results.append(sync_cloud(engine, name, conventions, dry_run=dry_run))
        except CloudError as exc:
            report(Abort(str(exc), code=exc.code, reasons=[("--cloud", str(exc))]), as_json=as_json)
    if as_json:
        dump([r.as_json() for r in results])
        return
    for result in results:
        _print_sync(result)


def _print_sync(result: SyncResult) -> None:
    """A table of what changed, by section; then every warning, which is never silent."""
    verb = "would change" if not result.applied else "changed"
    table = Table("", "Added", "Changed", "Moved", "Removed", header_style="bold", title=safe(result.source))
    for section, kinds in result.counts().items():
        table.add_row(section, *(str(kinds[k]) for k in ("added", "changed", "moved", "removed")))
    console.print(table)
    if not result.changes:
        console.print(f"{safe(result.source)}: the store already holds what it says; nothing {verb}.")
    elif not result.applied:
        console.print("Dry run: nothing was written.")
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/] {safe(warning)}", highlight=False, soft_wrap=True)
