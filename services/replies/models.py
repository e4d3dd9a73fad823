"""The replies reader's tables: how far into each mailbox it has read, and whom contacts delegated to."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel


class MailboxCursor(SQLModel, table=True):
    """The last message read in a mailbox, valid while the mailbox keeps its UIDVALIDITY."""

    __tablename__ = "mailbox_cursor"

    mailbox: str = Field(primary_key=True, max_length=200)
    uid_validity: int = Field(sa_column=Column(BigInteger(), nullable=False))
    last_uid: int = Field(sa_column=Column(BigInteger(), nullable=False))


class CalendarDelegation(SQLModel, table=True):
    """A contact handed a window's invitation on: the delegate's own answer counts for the contact."""

    __tablename__ = "calendar_delegation"

    window_id: str = Field(primary_key=True, max_length=32)
    tenant_id: str = Field(primary_key=True, max_length=64)
    delegate: str = Field(primary_key=True, max_length=320)
    delegator: str = Field(max_length=320)
