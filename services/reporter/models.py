"""Reporter tables: who a window hit when it ended, collected part by part."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from forewarn.schemas.base import utcnow

from ..platform.db import UtcDateTime


class Report(SQLModel, table=True):
    """One per ended window: the impact totals, and how far publishing and mailing got."""

    window_id: str = Field(primary_key=True, max_length=32)
    window: dict = Field(sa_column=Column(JSON, nullable=False), description="The final WindowView.")
    parts: int
    tenant_count: int
    resource_count: int
    components: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    mailed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    ops_reply: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class ReportPart(SQLModel, table=True):
    """One ImpactResolved part taken in: the report is whole when every part is."""

    __tablename__ = "report_part"

    window_id: str = Field(primary_key=True, max_length=32)
    part: int = Field(primary_key=True)


class ReportTenant(SQLModel, table=True):
    """One affected tenant of an ended window, with its resources."""

    __tablename__ = "report_tenant"

    window_id: str = Field(primary_key=True, max_length=32)
    tenant_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    impact: str = Field(max_length=32)
    resources: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class ReportChange(SQLModel, table=True):
    """A tenant that joined or left a window's affected set before it started, from a drift."""

    __tablename__ = "report_change"

    window_id: str = Field(primary_key=True, max_length=32)
    drift: int = Field(primary_key=True, description="The revision's drift that said so.")
    revision: int = Field(primary_key=True)
    tenant_id: str = Field(primary_key=True, max_length=64)
    change: str = Field(max_length=8)
    at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class OpsMessage(SQLModel, table=True):
    """A message posted to ops' chat, by its key, so that none is posted twice."""

    __tablename__ = "ops_message"

    key: str = Field(primary_key=True, max_length=128)
    posted_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
