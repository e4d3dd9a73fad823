"""The one table the status page keeps: tenants' secret-link tokens, hashed."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Column, Field, SQLModel

from ..db import UtcDateTime


class TenantToken(SQLModel, table=True):
    """A tenant's current token. Only its SHA-256 is stored: a leaked table opens no page."""

    __tablename__ = "tenant_token"

    tenant_id: str = Field(primary_key=True, foreign_key="tenant.id", ondelete="CASCADE")
    token_sha256: str = Field(unique=True, index=True, max_length=64)
    issued_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
