"""The delivery ledger: claim a notice before sending, record how it ended."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, Engine, bindparam, func, insert, or_, select, update
from sqlmodel import Session

from forewarn.schemas.base import utcnow
from forewarn.schemas.windows import WindowView

from ..platform.db import again_on_conflict, in_chunks
from ..privacy.pseudonyms import scrub
from .models import NoticeRecord
from .notice import Notice, ledger_kind, notice_id, told_span

NOTICE = NoticeRecord.__table__


@dataclass(frozen=True)
class Outcome:
    """How the mail server answered one notice."""

    key: str
    state: str
    message_id: str
    reply: str


class Told(NamedTuple):
    """The start and end a contact was last told of (the end unknown for notices from before it was kept)."""

    start: datetime
    end: datetime | None


class Claimed(NamedTuple):
    """A claim, and what the contact was last told (None: never told before)."""

    record: Claim
    previous: Told | None


@dataclass(frozen=True)
class Claim:
    """A notice's ledger entry as the claim found or made it."""

    id: str
    state: str
    message_id: str
    reply: str


def claim(engine: Engine, notices: Sequence[Notice]) -> list[Claimed]:
    """Each notice's ledger row (created pending if new), and where its window stood when last told.

    One transaction for them all, in a few statements whatever their number:
    a fan-out claims thousands of notices. All are of one window revision.
    """
    if not notices:
        return []
    window = notices[0].window
    keys = [notice_id(n) for n in notices]
    now = utcnow()
    with engine.begin() as conn:
        found = {}
        for chunk in in_chunks(keys):
            rows = conn.execute(
                select(NOTICE.c.id, NOTICE.c.state, NOTICE.c.message_id, NOTICE.c.reply).where(
                    NOTICE.c.id.in_(chunk)
                )
            )
            found.update({row.id: Claim(row.id, row.state, row.message_id, row.reply) for row in rows})
            conn.execute(update(NOTICE).where(NOTICE.c.id.in_(chunk)).values(attempts=NOTICE.c.attempts + 1))
        new = {key: notice for key, notice in zip(keys, notices, strict=True) if key not in found}
        if new:
            told = {key: told_span(notice) for key, notice in new.items()}
            conn.execute(
                insert(NOTICE),
                [
                    dict(
                        id=key,
                        window_id=window.id,
                        tenant_id=notice.tenant.tenant_id,
                        contact=notice.contact.email,
                        kind=ledger_kind(notice),
                        sequence=window.revision,
                        state="pending",
                        attempts=1,
                        start=told[key][0],
                        end=told[key][1],
                        message_id="",
                        reply="",
                        created_at=now,
                        updated_at=now,
                    )
                    for key, notice in new.items()
                ],
            )
        previous = _previous_told(conn, window, list({n.tenant.tenant_id: None for n in notices}))
    return [
        Claimed(
            found.get(key) or Claim(key, "pending", "", ""),
            previous.get((n.tenant.tenant_id, n.contact.email)),
        )
        for key, n in zip(keys, notices, strict=True)
    ]


def _previous_told(
    conn: Connection, window: WindowView, tenants: Sequence[str]
) -> dict[tuple[str, str], Told]:
    """Per tenant and contact, the times their last sent notice of an earlier revision told.

    Only these tenants': a fan-out claims a batch at a time, and each batch reads its own.
    """
    found: dict[tuple[str, str], Told] = {}
    for chunk in in_chunks(tenants):
        rows = conn.execute(
            select(NOTICE.c.tenant_id, NOTICE.c.contact, NOTICE.c.start, NOTICE.c.end)
            .where(
                NOTICE.c.window_id == window.id,
                NOTICE.c.tenant_id.in_(chunk),
                NOTICE.c.state == "sent",
                NOTICE.c.sequence < window.revision,
            )
            .order_by(NOTICE.c.sequence)
        )
        found.update(
            {(row.tenant_id, row.contact): Told(row.start, row.end) for row in rows}
        )  # the highest sequence wins
    return found


def claim_safely(engine: Engine, notices: Sequence[Notice]) -> list[Claimed]:
    """claim(), tolerating a twin notifier that inserted the same rows a moment earlier."""
    return again_on_conflict(claim, engine, notices)


def finish(engine: Engine, outcomes: Sequence[Outcome]) -> None:
    """Record the mail server's final answers for notices, in one transaction."""
    if not outcomes:
        return
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            update(NOTICE)
            .where(NOTICE.c.id == bindparam("key"))
            .values(
                state=bindparam("state"),
                message_id=bindparam("message_id"),
                reply=bindparam("reply"),
                updated_at=now,
            ),
            [
                {"key": o.key, "state": o.state, "message_id": o.message_id, "reply": o.reply[:2000]}
                for o in outcomes
            ],
        )


def withdrawn(engine: Engine, window_id: str, revision: int) -> frozenset[str]:
    """The tenants a revision's drifts last told that the window no longer affects them."""
    rows = select(NOTICE.c.tenant_id, NOTICE.c.kind).where(
        NOTICE.c.window_id == window_id,
        NOTICE.c.sequence == revision,
        or_(NOTICE.c.kind.like("joined-d%"), NOTICE.c.kind.like("withdrawn-d%")),
    )
    last: dict[str, tuple[int, str]] = {}
    with engine.connect() as conn:
        for tenant, kind in conn.execute(rows):
            change, _, number = kind.rpartition("-d")
            if tenant not in last or int(number) > last[tenant][0]:
                last[tenant] = (int(number), change)
    return frozenset(t for t, (_, change) in last.items() if change == "withdrawn")


def counts(session: Session, window_id: str) -> dict[str, int]:
    """Notices of a window by state."""
    rows = session.execute(
        select(NoticeRecord.state, func.count())
        .where(NoticeRecord.window_id == window_id)
        .group_by(NoticeRecord.state)
    )
    return {"pending": 0, "sent": 0, "failed": 0} | dict(rows.all())


def forget(session: Session, address: str, pseudonym: str) -> int:
    """Put a pseudonym where the ledger names an address; every row, and so every count, stays.

    It also takes the place of the address's hash in each notice's key and
    Message-ID: a hash of a known address names it as surely as the address.
    """
    rows = session.execute(
        select(NOTICE.c.id, NOTICE.c.message_id, NOTICE.c.reply).where(
            func.lower(NOTICE.c.contact) == address.lower()
        )
    ).all()
    for row in rows:
        session.execute(
            update(NOTICE)
            .where(NOTICE.c.id == row.id)
            .values(
                id=scrub(row.id, address, pseudonym),
                message_id=scrub(row.message_id, address, pseudonym),
                contact=pseudonym,
                reply=scrub(row.reply, address, pseudonym),
            )
        )
    return len(rows)
