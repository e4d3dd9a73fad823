"""The delivery ledger: claim a notice before sending, record how it ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, insert, or_, select, update
from sqlmodel import Session

from forewarn.schemas.base import utcnow

from ..db import again_on_conflict
from .compose import Notice, ledger_kind, notice_id
from .models import NoticeRecord

NOTICE = NoticeRecord.__table__


@dataclass(frozen=True)
class Claim:
    """A notice's ledger entry as the claim found or made it."""

    id: str
    state: str
    message_id: str
    reply: str


def claim(engine: Engine, notice: Notice) -> tuple[Claim, datetime | None]:
    """The notice's ledger row (created pending if new), and where the window stood when last told.

    Plain SQL statements rather than ORM objects: this runs once per recipient,
    thousands of times per window.
    """
    key = notice_id(notice)
    window, tenant, contact = notice.window, notice.tenant.tenant_id, notice.contact.email
    with engine.begin() as conn:
        found = conn.execute(
            select(NOTICE.c.state, NOTICE.c.message_id, NOTICE.c.reply).where(NOTICE.c.id == key)
        )
        row = found.first()
        if row is None:
            now = utcnow()
            conn.execute(
                insert(NOTICE).values(
                    id=key,
                    window_id=window.id,
                    tenant_id=tenant,
                    contact=contact,
                    kind=ledger_kind(notice),
                    sequence=window.revision,
                    state="pending",
                    attempts=1,
                    start=window.start,
                    message_id="",
                    reply="",
                    created_at=now,
                    updated_at=now,
                )
            )
            record = Claim(key, "pending", "", "")
        else:
            conn.execute(update(NOTICE).where(NOTICE.c.id == key).values(attempts=NOTICE.c.attempts + 1))
            record = Claim(key, row.state, row.message_id, row.reply)
        previous = conn.scalar(
            select(NOTICE.c.start)
            .where(
                NOTICE.c.window_id == window.id,
                NOTICE.c.tenant_id == tenant,
                NOTICE.c.contact == contact,
                NOTICE.c.state == "sent",
                NOTICE.c.sequence < window.revision,
            )
            .order_by(NOTICE.c.sequence.desc())
            .limit(1)
        )
    return record, previous


def claim_safely(engine: Engine, notice: Notice) -> tuple[Claim, datetime | None]:
    """claim(), tolerating a twin notifier that inserted the same row a moment earlier."""
    return again_on_conflict(claim, engine, notice)


def finish(engine: Engine, key: str, *, state: str, message_id: str, reply: str) -> None:
    """Record the mail server's final answer for a notice."""
    with engine.begin() as conn:
        conn.execute(
            update(NOTICE)
            .where(NOTICE.c.id == key)
            .values(state=state, message_id=message_id, reply=reply[:2000], updated_at=utcnow())
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
