"""Tenants' answers to a window's notices: recorded as they arrive, summed up for `show` and `report`.

Each contact's latest answer is kept, with the revision (the plan) it answers.
An answer to a revision older than the window's current plan (its latest
booking, move or extension) is stale: it is kept and shown as such, never
counted as an answer to the current plan.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import Column, Text, func, update
from sqlmodel import Field, Session, SQLModel, select

from forewarn.schemas.answers import Answer, ReplyReceived

from ..platform.db import UtcDateTime
from ..scheduler import queries


class WindowAnswer(SQLModel, table=True):
    """A contact's latest answer to a window's notices, from a signed link or a calendar's reply."""

    __tablename__ = "window_answer"

    window_id: str = Field(primary_key=True, max_length=32)
    tenant_id: str = Field(primary_key=True, max_length=64)
    contact: str = Field(primary_key=True, max_length=320)
    revision: int = Field(description="The plan answered: the window's revision, the iCalendar SEQUENCE.")
    answer: str = Field(max_length=16)
    proposed_start: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    via: str = Field(max_length=16)
    reply_id: str = Field(max_length=64)
    answered_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    ops_told_at: datetime | None = Field(
        default=None,
        sa_column=Column(UtcDateTime(), nullable=True),
        description="When ops were mailed about this answer (a decline or a proposed time).",
    )


# Answers ops are told of as they arrive.
OBJECTIONS = {Answer.DECLINED.value, Answer.PROPOSED.value}


def record(session: Session, reply: ReplyReceived) -> WindowAnswer | None:
    """Keep a contact's latest answer; the row if it holds this reply, None if a later one does."""
    key = (reply.window_id, reply.tenant_id, reply.contact)
    row = session.get(WindowAnswer, key)
    if row is not None and row.reply_id == reply.reply_id:
        return row  # a redelivery: already recorded
    if row is not None and row.answered_at > reply.occurred_at:
        return None  # this contact has answered since
    row = row or WindowAnswer(window_id=reply.window_id, tenant_id=reply.tenant_id, contact=reply.contact)
    row.revision = reply.revision
    row.answer = reply.answer.value
    row.proposed_start = reply.proposed_start
    row.comment = reply.comment
    row.via = reply.via
    row.reply_id = reply.reply_id
    row.answered_at = reply.occurred_at
    row.ops_told_at = None
    session.add(row)
    session.flush()
    return row


def forget(session: Session, address: str, pseudonym: str) -> int:
    """Put a pseudonym in a forgotten contact's place in every answer it gave; how many."""
    done = session.execute(
        update(WindowAnswer)
        .where(func.lower(WindowAnswer.contact) == address.lower())
        .values(contact=pseudonym)
    )
    return done.rowcount


def mark_told(session: Session, reply: ReplyReceived, at: datetime) -> None:
    row = session.get(WindowAnswer, (reply.window_id, reply.tenant_id, reply.contact))
    if row is not None and row.reply_id == reply.reply_id:
        row.ops_told_at = at


@dataclass
class Acknowledgements:
    """Who answered a window's current plan, and how."""

    tenants: int
    acknowledged: list[str] = field(default_factory=list)
    tentative: list[str] = field(default_factory=list)
    declined: list[dict] = field(default_factory=list)
    proposed: list[dict] = field(default_factory=list)
    stale: list[dict] = field(default_factory=list)
    no_answer: list[str] = field(default_factory=list)

    def line(self) -> str:
        """'acknowledged 3 of 5 tenants, 1 declined, 1 proposed another time, 1 without an answer'."""
        parts = [f"acknowledged {len(self.acknowledged)} of {self.tenants} tenants"]
        if self.tentative:
            parts.append(f"{len(self.tentative)} tentative")
        if self.declined:
            parts.append(f"{len(self.declined)} declined")
        if self.proposed:
            parts.append(f"{len(self.proposed)} proposed another time")
        parts.append(f"{len(self.no_answer)} without an answer")
        if self.stale:
            parts.append(f"{len(self.stale)} answer(s) to an earlier plan")
        return ", ".join(parts)

    def as_json(self) -> dict:
        return asdict(self)


def acknowledgements(session: Session, window_id: str, tenant_ids: list[str]) -> Acknowledgements:
    """How the tenants a window affects answered its current plan.

    A tenant counts once, by its most telling answer: a decline or a proposed
    time over an acknowledgement, an acknowledgement over a tentative one.
    """
    revision = queries.plan_revision(session, window_id)
    rows = session.exec(
        select(WindowAnswer).where(WindowAnswer.window_id == window_id).order_by(WindowAnswer.answered_at)
    ).all()
    result = Acknowledgements(tenants=len(tenant_ids))
    answered: dict[str, str] = {}
    rank = {"tentative": 0, "accepted": 1, "declined": 2, "proposed": 2}
    for row in rows:
        said = _said(row)
        if row.revision < revision:
            result.stale.append(said)
            continue
        if row.answer == "declined":
            result.declined.append(said)
        elif row.answer == "proposed":
            result.proposed.append(said)
        if rank[row.answer] >= rank.get(answered.get(row.tenant_id, ""), -1):
            answered[row.tenant_id] = row.answer
    result.acknowledged = sorted(t for t, a in answered.items() if a == "accepted")
    result.tentative = sorted(t for t, a in answered.items() if a == "tentative")
    result.no_answer = sorted(t for t in tenant_ids if t not in answered)
    return result


def _said(row: WindowAnswer) -> dict:
    return {
        "tenant_id": row.tenant_id,
        "contact": row.contact,
        "answer": row.answer,
        "revision": row.revision,
        "proposed_start": row.proposed_start.isoformat() if row.proposed_start else None,
        "comment": row.comment,
        "via": row.via,
        "at": row.answered_at.isoformat(),
    }


def acknowledged(session: Session, window_id: str) -> set[str]:
    """The tenants of which some contact accepted the window's current plan."""
    revision = queries.plan_revision(session, window_id)
    return set(
        session.exec(
            select(WindowAnswer.tenant_id).where(
                WindowAnswer.window_id == window_id,
                WindowAnswer.answer == Answer.ACCEPTED.value,
                WindowAnswer.revision >= revision,
            )
        )
    )
