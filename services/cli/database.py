"""`forewarn db`: the store's schema, moved forward by migrations."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import EXIT_ENV, Abort, console, err, report
from .render import dump

app = typer.Typer(help="The database schema: upgrade it and see where it is.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@app.command("upgrade")
def upgrade(
    revision: Annotated[str, typer.Argument(help="Migrate to this revision.")] = "head",
    wait: Annotated[
        str,
        typer.Option(
            "--wait",
            metavar="DURATION",
            help="Keep trying to reach the database this long (2m), as beside a database still starting.",
        ),
    ] = "0s",
    as_json: JsonOpt = False,
) -> None:
    """Create or migrate the database FOREWARN_DATABASE_URL names; safe to run again."""
    import stamina
    from alembic.util import CommandError
    from sqlalchemy.exc import OperationalError

    from ..common.durations import parse_duration
    from ..platform.config import CommonSettings
    from ..platform.db import create_db_engine
    from ..runtime import migrate

    try:
        patience = parse_duration(wait)
    except ValueError as exc:
        report(Abort(f"--wait: {exc}"), as_json=as_json)
    settings = CommonSettings()
    engine = create_db_engine(settings.db_url)
    try:
        # Only reaching the database is tried again: a migration that fails fails at once.
        stamina.instrumentation.set_on_retry_hooks([])  # the spinner says it, not a log line per try
        with err.status("Reaching the database…", spinner="dots"):
            tries = {"attempts": None, "timeout": patience} if patience else {"attempts": 1}
            for attempt in stamina.retry_context(on=OperationalError, wait_max=2, **tries):
                with attempt:
                    before = migrate.current(engine)
        after = migrate.upgrade(engine, revision)
    except OperationalError as exc:
        report(Abort(f"cannot reach the database: {exc.orig}", code=EXIT_ENV), as_json=as_json)
    except CommandError as exc:
        report(Abort(f"REVISION: {exc} (see `forewarn db current`)"), as_json=as_json)
    finally:
        engine.dispose()
    if as_json:
        dump({"database": engine.url.render_as_string(), "from": before, "to": after})
    elif before == after:
        console.print(f"[green]✓[/] the database is at revision {after}: nothing to do")
    else:
        console.print(f"[green]✓[/] migrated the database from {before or 'empty'} to revision {after}")


@app.command("current")
def current(as_json: JsonOpt = False) -> None:
    """Show the database's revision and the one this forewarn expects; exit 1 if they differ."""
    from sqlalchemy.exc import OperationalError

    from ..platform.config import CommonSettings
    from ..platform.db import create_db_engine
    from ..runtime import migrate

    engine = create_db_engine(CommonSettings().db_url)
    try:
        at = migrate.current(engine)
    except OperationalError as exc:
        report(Abort(f"cannot reach the database: {exc.orig}", code=EXIT_ENV), as_json=as_json)
    finally:
        engine.dispose()
    expected = migrate.head()
    if as_json:
        dump({"current": at, "head": expected})
    else:
        console.print(f"database at {at or 'no revision (empty)'}; this forewarn expects {expected}")
    if at != expected:
        raise typer.Exit(EXIT_ENV)
