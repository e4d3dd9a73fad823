"""`forewarn inventory`: load and inspect sites, hosts, tenants and resources."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..text import plural
from .common import Abort, console, open_store, report, safe
from .render import dump

app = typer.Typer(help="Load and inspect the inventory.", no_args_is_help=True)


@app.command("load")
def load(
    file: Annotated[Path, typer.Argument(help="YAML or JSON with sites, hosts, tenants and resources.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Upsert an inventory file in one transaction: all of it, or none."""
    from ..inventory.load import InventoryError, load_inventory

    engine = open_store(as_json=as_json)
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
