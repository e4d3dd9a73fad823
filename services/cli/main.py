"""The `forewarn` command."""

from __future__ import annotations

import typer
from pydantic import ValidationError

from . import database, dlq, inventory, natsconf, query, reports, stack, tenants, windows
from .common import err, safe

app = typer.Typer(
    name="forewarn",
    help="Maintenance windows and the customers they affect.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command()(windows.book)
app.command()(windows.reschedule)
app.command()(windows.extend)
app.command()(windows.cancel)
app.command()(windows.complete)
app.command("list")(query.list_windows)
app.command()(query.show)
app.command()(query.tail)
app.command()(query.calendar)
app.command("report")(reports.report_window)
app.command()(stack.up)
app.command()(stack.run)
app.command("nats-config")(natsconf.nats_config)
app.add_typer(inventory.app, name="inventory")
app.add_typer(tenants.app, name="tenant")
app.add_typer(dlq.app, name="dlq")
app.add_typer(database.app, name="db")


def main() -> None:
    """Entry point of the console script."""
    try:
        app()
    except ValidationError as exc:
        if not exc.title.endswith("Settings"):
            raise
        # A FOREWARN_* variable the settings refuse: name it, without a traceback.
        for error in exc.errors():
            name = "FOREWARN_" + str(error["loc"][0]).upper() if error["loc"] else exc.title
            err.print(f"[bold red]error:[/] {name}: {safe(error['msg'])}", highlight=False)
        raise SystemExit(2) from None
