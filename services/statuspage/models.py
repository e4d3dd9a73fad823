"""The status page's tables: tenants' secret-link tokens, hashed, and its snapshot."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, LargeBinary
from sqlmodel import Column, Field, SQLModel

from ..platform.db import UtcDateTime


class TenantToken(SQLModel, table=True):
    """A tenant's current token. Only its SHA-256 is stored: a leaked table opens no page."""

    __tablename__ = "tenant_token"

    tenant_id: str = Field(primary_key=True, foreign_key="tenant.id", ondelete="CASCADE")
    token_sha256: str = Field(unique=True, index=True, max_length=64)
    issued_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))


class StatusSnapshot(SQLModel, table=True):
    """The page's view as of one message of the stream it follows (state.StatusView.dump)."""

    __tablename__ = "status_snapshot"

    stream: str = Field(primary_key=True, max_length=64)
    last_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    # zlib-compressed JSON: a year of windows' timelines is a few hundred kB.
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    taken_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
