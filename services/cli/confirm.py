"""On a terminal, a change that mails customers says whom it would tell, and asks first.

A script (no terminal, or --yes, or --json) goes on as before: the question is for a person,
between a typo and every customer's inbox.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

from .common import err, missing_store, open_store

if TYPE_CHECKING:
    from forewarn.schemas.base import Payload

YesOpt = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask first on a terminal (scripts are never asked).")
]


@dataclass(frozen=True)
class Audience:
    """Who a change would tell: tenants, their contacts, and how many of those get plain notices."""

    tenants: int
    contacts: int
    notice_mode: int

    def __str__(self) -> str:
        people = f"{self.tenants} tenants, {self.contacts} contacts"
        return f"{people}; {self.notice_mode} of them in notice mode" if self.notice_mode else people


def ask_first(command: Payload, verb: str, *, yes: bool, as_json: bool) -> None:
    """Ask before a change that mails customers, when a person is at a terminal."""
    from ..platform.config import CommonSettings

    if yes or as_json or not (sys.stdin.isatty() and sys.stdout.isatty()):
        return
    # Without a store here, the stack is elsewhere: it counts the audience itself.
    told = "" if missing_store(CommonSettings()) else f"This tells {audience(command)}. "
    if not typer.confirm(f"{told}{verb} it?", default=False, err=True):
        err.print("Nothing was sent.")
        raise typer.Exit(1)


def audience(command: Payload) -> Audience:
    """Whom the command would tell, as the store knows the inventory now."""
    from sqlmodel import Session

    from forewarn.schemas.commands import BookWindow

    from ..impact.resolve import resolve_hosts
    from ..scheduler.queries import hosts_of
    from ..scheduler.selectors import select_hosts

    with Session(open_store()) as session:
        if isinstance(command, BookWindow):
            hosts = [h.name for h in select_hosts(session, command.hosts)[0]]
        else:
            hosts = hosts_of(session, getattr(command, "window_id", ""))
        tenants = list(resolve_hosts(session.connection(), hosts).tenants.values())
    modes = [c.get("mode") for t in tenants for c in json.loads(t.json).get("contacts", [])]
    return Audience(len(tenants), len(modes), modes.count("notice"))
