"""`forewarn contact forget` and `forewarn tenant forget`: an address out of all forewarn keeps.

The store first, so nothing new is written with the address; then the streams:
- the inventory's contact rows are deleted;
- the ledger's rows and the tenants' answers stay, counts and all, with a
  pseudonym in the address's place;
- in MAINT and its view, every impact, notice outcome, answer, report and dead
  letter that holds the address is erased; a live window's impact, an answer
  and a report are published again without it first (see bus/erase.py), and
  the notifier moves the window's reminders onto the new copy.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated

import typer

from forewarn.schemas import subjects
from forewarn.schemas.answers import ReplyReceived
from forewarn.schemas.base import Payload
from forewarn.schemas.impact import ImpactResolved
from forewarn.schemas.notices import ReportPublished

from .common import EXIT_ENV, Abort, console, open_store, report
from .render import dump

app = typer.Typer(help="The people tenants list as contacts.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
# What in MAINT can hold a contact's address; lifecycle events and commands hold none.
HOLDERS = (
    subjects.IMPACT_RESOLVED,
    subjects.NOTICES,
    subjects.REPLIES,
    subjects.REPORTS,
    subjects.DEAD_LETTERS,
)


@dataclass
class Forgotten:
    """What one address's forgetting removed."""

    address: str
    pseudonym: str
    tenants: list[str] = field(default_factory=list)
    # Windows not yet ended, with their current revisions: whose impact is still needed.
    live: dict[str, int] = field(default_factory=dict, repr=False)
    ledger_rows: int = 0
    answers: int = 0
    erased: dict[str, int] = field(default_factory=dict)
    rewritten: dict[str, int] = field(default_factory=dict)


def _without_impact(address: str, live: dict[str, int]):
    def rewrite(data: bytes) -> bytes | None:
        impact = ImpactResolved.model_validate_json(data)
        if live.get(impact.window.id) != impact.window.revision:
            return None  # an ended window's or an older revision's: needed no more, erased, not copied

        wanted = address.lower()

        def without(tenants):
            return [
                t.model_copy(update={"contacts": [c for c in t.contacts if c.email.lower() != wanted]})
                for t in tenants
            ]

        copy = impact.model_copy(update={"tenants": without(impact.tenants), "left": without(impact.left)})
        return copy.model_dump_json().encode()

    return rewrite


def _pseudonymised(model: type[Payload], address: str, pseudonym: str):
    from ..privacy.pseudonyms import scrub

    def rewrite(data: bytes) -> bytes | None:
        # A report or an answer is the record: it stays, under a pseudonym.
        return scrub(model.model_validate_json(data).model_dump_json(), address, pseudonym).encode()

    return rewrite


async def _forget_in_streams(found: Forgotten) -> None:
    from ..bus.erase import erase
    from ..platform.config import CommonSettings
    from .common import connected

    settings = CommonSettings()
    # Only an operator's login may delete from the streams and publish on the services' subjects.
    async with connected(settings, login="admin") as broker:
        done = await erase(
            broker,
            found.address,
            HOLDERS,
            {
                subjects.IMPACT_RESOLVED: _without_impact(found.address, found.live),
                subjects.REPORTS: _pseudonymised(ReportPublished, found.address, found.pseudonym),
                subjects.REPLIES: _pseudonymised(ReplyReceived, found.address, found.pseudonym),
            },
            tag=found.pseudonym.split("@")[0],
            timeout=settings.publish_timeout,
        )
    found.erased, found.rewritten = dict(done.erased), dict(done.rewritten)


def forget_address(address: str, *, as_json: bool) -> Forgotten:
    """Take one address out of the store, the ledger and the streams."""
    from ..answers import store as answers
    from ..inventory.forget import forget_contact
    from ..mail import ledger
    from ..platform.db import erasing, vacuum_full
    from ..privacy.pseudonyms import new_pseudonym
    from ..scheduler.queries import live_revisions

    found = Forgotten(address, new_pseudonym())
    engine = open_store(as_json=as_json)
    with erasing(engine) as session:
        found.tenants = forget_contact(session, address)
        found.ledger_rows = ledger.forget(session, address, found.pseudonym)
        found.answers = answers.forget(session, address, found.pseudonym)
        found.live = live_revisions(session)
    vacuum_full(engine, ["tenant_contact", "notice", "window_answer"])
    engine.dispose()
    from ..bus.erase import ViewBehind

    try:
        asyncio.run(_forget_in_streams(found))
    except (Abort, ViewBehind) as exc:
        code = exc.code if isinstance(exc, Abort) else EXIT_ENV
        why = f"{exc} (the store has forgotten {address}; run this again to finish with the streams)"
        report(Abort(why, code=code), as_json=as_json)
    return found


def _show(results: list[Forgotten], *, as_json: bool) -> None:
    if as_json:
        dump([{k: v for k, v in r.__dict__.items() if k != "live"} for r in results])
        return
    from rich.table import Table

    for r in results:
        table = Table("Where", "What", "Count", header_style="bold", title=f"forgot {r.address}")
        table.add_row("inventory", "contact of " + (", ".join(r.tenants) or "no tenant"), str(len(r.tenants)))
        table.add_row("ledger", f"notices now under {r.pseudonym}", str(r.ledger_rows))
        table.add_row("answers", f"answers now under {r.pseudonym}", str(r.answers))
        for subject, n in sorted(r.erased.items()):
            table.add_row("streams", f"erased on {subject}", str(n))
        for subject, n in sorted(r.rewritten.items()):
            table.add_row("streams", f"published again without it on {subject}", str(n))
        console.print(table)


@app.command("forget")
def forget_contact_command(
    address: Annotated[str, typer.Argument(metavar="EMAIL", help="The address to forget, in any case.")],
    as_json: JsonOpt = False,
) -> None:
    """Forget a person: their address leaves the store, the ledger and every stream message."""
    if "@" not in address or any(c.isspace() for c in address):
        report(Abort(f"EMAIL: {address!r} is not an email address", reasons=[("EMAIL", "not an address")]),
               as_json=as_json)  # fmt: skip
    _show([forget_address(address, as_json=as_json)], as_json=as_json)


def forget_tenant(tenant: str, *, as_json: bool) -> None:
    """Forget every address a tenant lists (wherever else each also appears)."""
    from sqlmodel import Session

    from ..inventory.forget import addresses_of
    from ..inventory.models import Tenant

    engine = open_store(as_json=as_json)
    with Session(engine) as session:
        known = session.get(Tenant, tenant) is not None
        addresses = addresses_of(session, tenant)
    engine.dispose()
    if not known:
        report(Abort(f"TENANT: no tenant {tenant!r} in the inventory", reasons=[("TENANT", "unknown")]),
               as_json=as_json)  # fmt: skip
    if not addresses and not as_json:
        console.print(f"{tenant} lists no contact: nothing to forget")
    _show([forget_address(a, as_json=as_json) for a in addresses], as_json=as_json)
