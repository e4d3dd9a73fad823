"""The delivery ledger: claim a notice before sending, record how it ended."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from forewarn.schemas.base import utcnow

from ..db import transaction
from .compose import Notice, ledger_kind, notice_id
from .models import NoticeRecord


def claim(engine: Engine, notice: Notice) -> tuple[NoticeRecord, datetime | None]:
    """The notice's ledger row (created pending if new), and where the window stood when last told."""
    key = notice_id(notice)
    with transaction(engine) as session:
        record = session.get(NoticeRecord, key)
        if record is None:
            record = NoticeRecord(
                id=key,
                window_id=notice.window.id,
                tenant_id=notice.tenant.tenant_id,
                contact=notice.contact.email,
                kind=ledger_kind(notice),
                sequence=notice.window.revision,
                start=notice.window.start,
            )
            session.add(record)
        record.attempts += 1
        previous = session.scalar(
            select(NoticeRecord.start)
            .where(
                NoticeRecord.window_id == notice.window.id,
                NoticeRecord.tenant_id == notice.tenant.tenant_id,
                NoticeRecord.contact == notice.contact.email,
                NoticeRecord.state == "sent",
                NoticeRecord.sequence < notice.window.revision,
            )
            .order_by(NoticeRecord.sequence.desc())
            .limit(1)
        )
    return record, previous


def claim_safely(engine: Engine, notice: Notice) -> tuple[NoticeRecord, datetime | None]:
    """claim(), tolerating a twin notifier that inserted the same row a moment earlier."""
    try:
        return claim(engine, notice)
    except IntegrityError:
        return claim(engine, notice)


def finish(engine: Engine, key: str, *, state: str, message_id: str, reply: str) -> None:
    """Record the mail server's final answer for a notice."""
    with transaction(engine) as session:
        record = session.get(NoticeRecord, key)
        record.state = state
        record.message_id = message_id
        record.reply = reply[:2000]
        record.updated_at = utcnow()


def counts(session: Session, window_id: str) -> dict[str, int]:
    """Notices of a window by state."""
    rows = session.execute(
        select(NoticeRecord.state, func.count())
        .where(NoticeRecord.window_id == window_id)
        .group_by(NoticeRecord.state)
    )
    return {"pending": 0, "sent": 0, "failed": 0} | dict(rows.all())
