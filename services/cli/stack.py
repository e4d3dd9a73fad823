"""`forewarn up` and `forewarn run`: the services, embedded or one at a time."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..platform.names import SERVICES
from .common import EXIT_ENV, console, err

if TYPE_CHECKING:
    from ..mail.inbox import DemoInbox
    from ..platform.config import CommonSettings
    from ..runtime.stack import Stack

LEVELS = ("debug", "info", "warning", "error")
LogLevel = Annotated[
    str | None,
    typer.Option(
        metavar="LEVEL", help="debug, info, warning, error. Default: FOREWARN_LOG_LEVEL, else info."
    ),
]


LogFile = Annotated[
    Path | None,
    typer.Option(
        metavar="FILE",
        help="Append the log to this file instead of the terminal, for a stack run in the background.",
    ),
]


def _logging(level: str | None, file: Path | None = None) -> CommonSettings:
    from ..platform.config import CommonSettings
    from ..platform.logs import configure_logging

    if level and level.lower() not in LEVELS:
        err.print(f"[bold red]error:[/] --log-level: {level!r} is not one of {', '.join(LEVELS)}")
        raise typer.Exit(2)
    if file is not None:
        try:
            file.open("a").close()
        except OSError as exc:
            err.print(f"[bold red]error:[/] --log-file: cannot write {file}: {exc.strerror}")
            raise typer.Exit(2) from None
    settings = CommonSettings()
    configure_logging(level or settings.log_level, settings.log_format, file)
    return settings


def up(log_level: LogLevel = None, log_file: LogFile = None) -> None:
    """Run every service in this process; with no FOREWARN_NATS_URL, an embedded nats-server too."""
    from ..bus.embedded import EmbeddedNats
    from ..inventory.settings import InventorySettings
    from ..platform.config import EMBEDDED_NATS_PORT
    from ..privacy.files import private_folder
    from ..replies.settings import RepliesSettings

    settings = _logging(log_level, log_file)
    # The store, the bus's passwords and the demo inbox live here: its owner's alone.
    private_folder(settings.data_dir)
    nats = None
    if not settings.nats_url:
        nats = EmbeddedNats(settings.data_dir, EMBEDDED_NATS_PORT)
        try:
            nats.start()
        except (RuntimeError, FileNotFoundError) as exc:
            err.print(f"[bold red]error:[/] {exc}")
            raise typer.Exit(EXIT_ENV) from None
        console.print(
            f"embedded nats-server on [bold]{nats.url}[/] (JetStream in {settings.data_dir / 'jetstream'})"
        )
    console.print(f"database: {settings.db_url}")
    try:
        inbox = _demo_inbox(settings)
    except typer.Exit:
        if nats:
            nats.stop()
        raise
    try:
        # The inventory follows an OpenStack cloud, and the replies reader a mailbox: only when named.
        optional = {
            "inventory": InventorySettings().follows_a_cloud,
            "replies": RepliesSettings().reads_mailbox,
        }
        if optional["replies"]:
            # The organizer's mailbox is read here: calendars may be asked to answer it.
            os.environ.setdefault("FOREWARN_RSVP", "1")
        _serve([s for s in SERVICES if optional.get(s, True)], ready=_announce)
    finally:
        if inbox:
            inbox.stop()
        if nats:
            nats.stop()


def _demo_inbox(settings: CommonSettings) -> DemoInbox | None:
    """With no FOREWARN_SMTP_HOST, mail goes to an inbox of .eml files in the data dir."""
    from ..mail.inbox import DemoInbox
    from ..mail.settings import MailSettings

    mail = MailSettings()
    if mail.smtp_host:
        return None
    inbox = DemoInbox(settings.data_dir / "inbox", mail.smtp_port)
    try:
        inbox.start()
    except (OSError, RuntimeError) as exc:
        err.print(
            f"[bold red]error:[/] demo inbox on port {mail.smtp_port}: {exc}; or set FOREWARN_SMTP_HOST"
        )
        raise typer.Exit(EXIT_ENV) from None
    console.print(f"demo inbox on smtp://127.0.0.1:{mail.smtp_port}, filing mail in {inbox.folder}")
    return inbox


def run(
    service: Annotated[str, typer.Argument(metavar="SERVICE", help=f"One of {', '.join(SERVICES)}.")],
    log_level: LogLevel = None,
    log_file: LogFile = None,
) -> None:
    """Run one service alone (as compose and scale-out do)."""
    if service not in SERVICES:
        err.print(f"[bold red]error:[/] SERVICE: {service!r} is not one of {', '.join(SERVICES)}")
        raise typer.Exit(2)
    _logging(log_level, log_file)
    _serve([service])


def _serve(names: list[str], *, ready: Callable[[Stack], None] | None = None) -> None:
    """Run services until a signal; an environment that is not ready is one clear error."""
    from ..platform.config import StartupError
    from ..runtime.stack import serve

    try:
        asyncio.run(serve(names, ready=ready))
    except StartupError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_ENV) from None


def _announce(stack: Stack) -> None:
    if "statuspage" in stack.running:
        console.print(f"status page on [bold]{stack.running['statuspage'].address}[/]", highlight=False)
    console.print("[green]✓[/] forewarn is up; Ctrl-C stops it")
