"""The delivery ledger: one row per notice and recipient, written by the notifier."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from forewarn.schemas.base import utcnow

from ..platform.db import UtcDateTime


class NoticeRecord(SQLModel, table=True):
    """A notice to one contact: pending until the mail server answers, then sent or failed.

    The key (window, tenant, contact, kind, sequence) is what makes a redelivered
    event, or a restarted notifier, skip what was already sent.
    """

    __tablename__ = "notice"
    __table_args__ = (UniqueConstraint("window_id", "tenant_id", "contact", "kind", "sequence"),)

    id: str = Field(primary_key=True, max_length=200)
    window_id: str = Field(index=True, max_length=32)
    tenant_id: str = Field(max_length=64)
    contact: str = Field(max_length=320)
    kind: str = Field(max_length=16)
    sequence: int
    state: str = Field(default="pending", index=True, max_length=16)
    attempts: int = 0
    start: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    # Unknown for notices sent before forewarn kept it.
    end: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    message_id: str = Field(default="", max_length=300)
    reply: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
