"""The `forewarn` command."""

from __future__ import annotations

import sys
from importlib.metadata import version as package_version
from typing import Annotated

import typer
from pydantic import ValidationError

try:  # Typer vendors Click from 0.20 on
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover
    from click.exceptions import ClickException

from ..common.text import said
from . import (
    book,
    database,
    dlq,
    forget,
    inventory,
    natsconf,
    progress,
    query,
    ready,
    reports,
    series,
    stack,
    tail,
    tenants,
    webhooks,
    windows,
)
from .common import Abort, err, safe

app = typer.Typer(
    name="forewarn",
    help="Maintenance windows and the customers they affect.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)


def _print_version(wanted: bool) -> None:
    if wanted:
        # One place holds the version: pyproject.toml, as the installed package's metadata says.
        print(f"forewarn {package_version('forewarn')}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Maintenance windows and the customers they affect."""


app.command()(book.book)
app.command()(windows.reschedule)
app.command()(windows.extend)
app.command()(windows.cancel)
app.command()(windows.complete)
app.command()(progress.progress)
app.command("list")(query.list_windows)
app.command()(query.show)
app.command()(tail.tail)
app.command()(query.calendar)
app.command("report")(reports.report_window)
app.command()(stack.up)
app.command()(stack.run)
app.command()(ready.wait)
app.command("nats-config")(natsconf.nats_config)
app.add_typer(inventory.app, name="inventory")
app.add_typer(tenants.app, name="tenant")
app.add_typer(forget.app, name="contact")
app.add_typer(dlq.app, name="dlq")
app.add_typer(webhooks.app, name="webhook")
app.add_typer(series.app, name="series")
app.add_typer(database.app, name="db")


def main() -> None:
    """Entry point of the console script."""
    try:
        if "--json" in sys.argv[1:]:
            _run_for_a_script()
        else:
            app()
    except ValidationError as exc:
        if not exc.title.endswith("Settings"):
            raise
        # A FOREWARN_* variable the settings refuse: name it, without a traceback.
        reasons = [
            ("FOREWARN_" + str(error["loc"][0]).upper() if error["loc"] else exc.title, said(error["msg"]))
            for error in exc.errors()
        ]
        if "--json" in sys.argv[1:]:
            print(Abort("; ".join(f"{n}: {m}" for n, m in reasons), reasons=reasons).as_json())
        for name, message in reasons:
            err.print(f"[bold red]error:[/] {name}: {safe(message)}", highlight=False)
        raise SystemExit(2) from None


def _run_for_a_script() -> None:
    """Run with --json: a command line the parser refuses is JSON too, not a usage box."""
    try:
        code = app(standalone_mode=False)
    except ClickException as exc:
        param = getattr(exc, "param", None)
        field = (param.opts[0] if param is not None and param.opts else None) or getattr(
            exc, "option_name", None
        )
        message = exc.format_message()
        print(Abort(message, reasons=[(field or "command", message)]).as_json())
        raise SystemExit(exc.exit_code) from None
    raise SystemExit(code if isinstance(code, int) else 0)
