"""Scheduler tables: windows, the hosts they hold, and the events they produced."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Enum, Index, Text, text
from sqlmodel import Field, SQLModel

from forewarn.schemas.base import Impact, WindowState, utcnow

from ..platform.db import UtcDateTime


def _utc_column(**kwargs) -> Column:
    return Column(UtcDateTime(), **kwargs)


def _enum_column(kind: type[StrEnum], length: int, **kwargs) -> Column:
    """One of the schemas' values, kept as its text in a VARCHAR as it always was: no new database type."""
    stored = Enum(kind, native_enum=False, length=length, values_callable=lambda k: [m.value for m in k])
    return Column(stored, nullable=False, **kwargs)


class WindowSeries(SQLModel, table=True):
    """A recurring window: the rule its occurrences were booked by; each occurrence is a Window."""

    __tablename__ = "window_series"

    id: str = Field(primary_key=True, max_length=32)
    rrule: str = Field(max_length=500)
    timezone: str = Field(max_length=64)
    first_start: datetime = Field(sa_column=_utc_column(nullable=False))
    first_local: str = Field(max_length=19)
    duration_s: int
    sequence: int = 1
    # The occurrences the rule gave that were not booked (schemas.windows.Skipped, as JSON).
    skipped: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    lead_window_id: str = Field(max_length=32)
    # From when a change called its occurrences off, and the series that carries on from there.
    cut: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    replaced_by: str | None = Field(default=None, max_length=32)
    command_id: str = Field(unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column(nullable=False))


class Window(SQLModel, table=True):
    """A maintenance window and its current revision."""

    id: str = Field(primary_key=True, max_length=32)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    impact: Impact = Field(sa_column=_enum_column(Impact, 32))
    state: WindowState = Field(sa_column=_enum_column(WindowState, 16, index=True))
    start: datetime = Field(sa_column=_utc_column(nullable=False, index=True))
    end: datetime = Field(sa_column=_utc_column(nullable=False, index=True))
    revision: int = 1
    components: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    sites: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    requested_by: str = Field(default="", max_length=200)
    # A rolling window's batches (schemas.windows.Batch, as JSON), in order; empty for any other.
    batches: list[dict] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default=text("'[]'"))
    )
    # The series this window is an occurrence of, and the occurrence's original start (RECURRENCE-ID).
    series_id: str | None = Field(default=None, foreign_key="window_series.id", index=True, max_length=32)
    recurrence_id: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    # The local time the rule gave it, naive ISO: what its RECURRENCE-ID says.
    recurrence_local: str | None = Field(default=None, max_length=19)
    started_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    ended_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    command_id: str = Field(unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column(nullable=False))


class WindowHost(SQLModel, table=True):
    """One host held by one window; the overlap check searches by host."""

    __tablename__ = "window_host"
    __table_args__ = (Index("ix_window_host_host", "host"),)

    window_id: str = Field(foreign_key="window.id", primary_key=True, max_length=32)
    host: str = Field(primary_key=True, max_length=253)


class WindowEventRecord(SQLModel, table=True):
    """Every event the scheduler published: the window's timeline and its outbox.

    Written in the same transaction as the change, and published after commit;
    a redelivered command or timer republishes these rows with the same
    Nats-Msg-Id, so the stream stores each event once.
    """

    __tablename__ = "window_event"

    msg_id: str = Field(primary_key=True, max_length=128)
    window_id: str | None = Field(default=None, index=True, max_length=32)
    cause: str = Field(index=True, max_length=128, description="command id or timer key")
    subject: str = Field(max_length=128)
    kind: str = Field(max_length=32)
    revision: int = 0
    payload: str = Field(sa_column=Column(Text, nullable=False))
    occurred_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column(nullable=False))
