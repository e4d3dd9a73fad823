"""The impact resolver's tables: whom each scheduled window affects, as last told.

A change to the inventory is compared with these rows to find who joined or
left a window; they exist only while the window is scheduled.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from forewarn.schemas.base import utcnow

from ..platform.db import UtcDateTime


class ImpactWindow(SQLModel, table=True):
    """A scheduled window's revision as last resolved, and how many drifts that revision has had."""

    __tablename__ = "impact_window"

    window_id: str = Field(primary_key=True, max_length=32)
    revision: int
    drift: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class ImpactTenant(SQLModel, table=True):
    """A tenant a scheduled window affects, as the tenants were last told."""

    __tablename__ = "impact_tenant"

    window_id: str = Field(primary_key=True, max_length=32)
    tenant_id: str = Field(primary_key=True, max_length=64)
