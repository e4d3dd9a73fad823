"""What every CLI command shares: the console, errors, times and the bus."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.markup import escape

from ..common.text import said

if TYPE_CHECKING:
    from faststream.nats import NatsBroker
    from pydantic import ValidationError
    from sqlalchemy import Engine

    from ..platform.config import CommonSettings

# Commands import what they use inside their bodies: `forewarn --help` and a
# `forewarn list` must not pay for FastStream, Alembic and every service
# (tests/unit/test_cli_imports.py keeps it so; bench/cli.py measures it).

# Piped into a file or another program, a line is not cut or wrapped at 80 columns.
console = Console(width=None if sys.stdout.isatty() else 10_000)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 10_000)

# Exit codes: 2 for anything the user can fix in the command line or input
# (as with any Unix tool), 1 for an environment that is not ready.
EXIT_INPUT = 2
EXIT_ENV = 1


class Abort(Exception):
    """A problem to show the user as one clear message, without a traceback.

    `reasons` are (field, message) pairs for --json; without them, a message
    'FIELD: what is wrong' gives its one reason.
    """

    def __init__(
        self, message: str, *, code: int = EXIT_INPUT, reasons: list[tuple[str, str]] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reasons = reasons or [_split(message)]

    def as_json(self) -> str:
        """The one shape every refusal has with --json (schemas/json/CliError.json)."""
        from forewarn.schemas.cli import CliError, CliReason

        reasons = [CliReason(field=field, message=message) for field, message in self.reasons]
        # The first line alone: "BookWindow rejected:" introduces the reasons, which are listed apart.
        headline = str(self).splitlines()[0].removesuffix(":")
        return CliError(error=headline, reasons=reasons).model_dump_json()


_FIELD = re.compile(r"^(--[a-z-]+|[A-Z][A-Z0-9_]*|[a-z][a-z0-9_]*(\.[a-z0-9_\[\]]+)*): (.+)$", re.DOTALL)


def _split(message: str) -> tuple[str, str]:
    """'--start: is not a time' as its field and its message; anything else is about the command."""
    found = _FIELD.match(message)
    return (found.group(1), found.group(3)) if found else ("command", message)


def fail(field: str, reason: str) -> NoReturn:
    """Stop with an input error naming the field."""
    raise Abort(f"{field}: {reason}", reasons=[(field, reason)])


def fail_validation(exc: ValidationError, names: dict[str, str]) -> NoReturn:
    """Stop with pydantic's errors, each named by its command-line option."""
    reasons = []
    for error in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in error["loc"])
        reasons.append((names.get(loc, loc), said(error["msg"])))
    raise Abort("; ".join(f"{field}: {message}" for field, message in reasons), reasons=reasons)


def safe(value: object) -> str:
    """Text from the store, the bus or the user, fit for the terminal.

    Rich would read "[bold]" in a title as markup, and an escape sequence would
    reach the operator's terminal: both are shown as the plain text they are.
    """
    from forewarn.schemas.base import printable

    return escape(printable(str(value), multiline=True))


def report(exc: Abort, *, as_json: bool) -> NoReturn:
    """Print an Abort for a person or a script, and exit with its code."""
    if as_json:
        print(exc.as_json())
    else:
        err.print(f"[bold red]error:[/] {safe(exc)}", highlight=False, soft_wrap=True)
    raise typer.Exit(exc.code)


_RELATIVE = re.compile(r"^\+\s*(.+)$")


def parse_time(option: str, text: str, tz: str | None, *, now: datetime | None = None) -> datetime:
    """ISO 8601 with an offset, a naive time with --tz, or '+30m' from now."""
    from ..common.durations import parse_duration

    if match := _RELATIVE.match(text.strip()):
        unit_given(option, match.group(1))
        try:
            ahead = parse_duration(match.group(1))
            at = (now or datetime.now(UTC)) + ahead
            # '+1d' means a day from now to the minute, not to the microsecond; '+20s' means seconds.
            if ahead % timedelta(minutes=1) == timedelta(0) and (at.second or at.microsecond):
                at = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
            return at
        except ValueError as exc:
            fail(option, str(exc))
        except OverflowError:
            fail(option, f"{text!r} is too far from now")
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(option, f"{text!r} is not an ISO 8601 time (e.g. 2026-12-01T22:00+01:00, or +30m)")
    if value.tzinfo is None:
        if not tz:
            fail(
                option,
                f"{text!r} has no time zone: add an offset (e.g. +01:00) or pass --tz Europe/Stockholm",
            )
        value = value.replace(tzinfo=zone(tz))
    try:
        return value.astimezone(UTC)
    except OverflowError:
        fail(option, f"{text!r} is out of range in UTC")


def later(option: str, at: datetime, by: timedelta) -> datetime:
    """A time plus a duration, or an input error naming the option that made it overflow."""
    from ..common.durations import format_duration

    try:
        return at + by
    except OverflowError:
        fail(option, f"{format_duration(by)} after {at:%Y-%m-%d %H:%M} UTC is past the year 9999")


def zone(name: str) -> ZoneInfo:
    """An IANA zone, or an input error naming --tz."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        fail("--tz", f"{name!r} is not an IANA time zone (e.g. Europe/Stockholm)")


def unit_given(option: str, text: str) -> None:
    """A bare number is seconds to a machine and minutes to many a person: ask for the unit."""
    number = text.strip()
    if number.replace(".", "", 1).isdigit():
        fail(option, f"{number!r} has no unit: write it as e.g. {number}m, {number}s or 1h{number}m")


def duration(option: str, text: str):
    """A positive duration, or an input error naming the option."""
    from ..common.durations import parse_duration

    unit_given(option, text)
    try:
        value = parse_duration(text)
    except ValueError as exc:
        fail(option, str(exc))
    if value.total_seconds() <= 0:
        fail(option, f"{text!r} must be longer than zero")
    return value


def missing_store(settings: CommonSettings) -> Path | None:
    """The SQLite file the settings name, if it does not exist yet; None for one that does, or a server."""
    if settings.database_url:
        return None
    path = settings.data_dir / "forewarn.db"
    return None if path.exists() else path


def open_store(*, as_json: bool = False, creates: bool = False) -> Engine:
    """The database the settings name, migrated or checked as the settings say.

    Only a command that fills the store (`inventory load` and `sync`) makes it: any other,
    run from the wrong place or with another FOREWARN_DATA_DIR, says where it looked
    instead of answering from a new, empty store.
    """
    from ..platform.config import CommonSettings, StartupError
    from ..platform.db import create_db_engine
    from ..runtime import migrate

    settings = CommonSettings()
    if not creates and (path := missing_store(settings)):
        report(
            Abort(
                f"no store at {path} (FOREWARN_DATA_DIR is {settings.data_dir}): load an inventory "
                "there with `forewarn inventory load`, start the stack with `forewarn up`, or set "
                "FOREWARN_DATA_DIR or FOREWARN_DATABASE_URL to the one in use",
                code=EXIT_ENV,
            ),
            as_json=as_json,
        )
    engine = create_db_engine(settings.db_url)
    try:
        migrate.prepare(engine, auto_migrate=settings.migrates_at_start)
    except StartupError as exc:
        engine.dispose()
        report(Abort(str(exc), code=EXIT_ENV), as_json=as_json)
    return engine


@asynccontextmanager
async def connected(settings: CommonSettings, *, login: str = "cli") -> AsyncIterator[NatsBroker]:
    """A broker connected to the stack, or one clear line on where it tried.

    On the embedded server it logs in as forewarn-<login>; elsewhere as FOREWARN_NATS_USER.
    """
    from ..bus.broker import build_broker
    from ..platform.tracing import tracer_provider

    tracing = tracer_provider(settings, "cli")
    broker = build_broker(
        settings,
        name="cli",
        login=login,
        tracer_provider=tracing,
        reliable=False,
        allow_reconnect=False,
        max_reconnect_attempts=0,
        connect_timeout=3,
    )
    try:
        # nats-py can wait forever on a refused first connection: bound it.
        await asyncio.wait_for(broker.connect(), timeout=5)
    except Exception as exc:  # nats raises several kinds; all mean the same to the user
        where = settings.shown_servers
        if _refused_login(exc):
            raise Abort(f"NATS at {where} refused the login: {_looked(settings)}", code=EXIT_ENV) from None
        hint = "start the stack with `forewarn up`" if not settings.nats_url else "check FOREWARN_NATS_URL"
        why = "no answer within 5s" if isinstance(exc, TimeoutError) else type(exc).__name__
        raise Abort(f"cannot reach NATS at {where} ({why}): {hint}", code=EXIT_ENV) from None
    try:
        yield broker
    finally:
        # A command's work is done: a server slow to see the connection go may not hold it up.
        with suppress(TimeoutError):
            await asyncio.wait_for(broker.stop(), timeout=5)
        if tracing:
            tracing.shutdown()


def _refused_login(exc: BaseException) -> bool:
    """Whether the server answered, and said no to who we said we were."""
    from nats.errors import AuthorizationError

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, AuthorizationError) or "authorization violation" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _looked(settings: CommonSettings) -> str:
    """Where the CLI found the credentials it used, or looked for them in vain."""
    from ..bus.embedded import PASSWORDS

    if settings.nats_user:
        return f"FOREWARN_NATS_USER ({settings.nats_user}) and FOREWARN_NATS_PASSWORD were used"
    found = settings.data_dir / PASSWORDS
    if settings.nats_url:
        return "no FOREWARN_NATS_USER and FOREWARN_NATS_PASSWORD are set for it"
    if found.exists():
        return f"the password in {found} was used; is this stack's FOREWARN_DATA_DIR another?"
    return (
        f"no credentials in {found}, where `forewarn up` writes them: set FOREWARN_DATA_DIR to "
        "the folder of the running stack"
    )
