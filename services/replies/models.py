"""The replies reader's table: how far into each mailbox it has read."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel


class MailboxCursor(SQLModel, table=True):
    """The last message read in a mailbox, valid while the mailbox keeps its UIDVALIDITY."""

    __tablename__ = "mailbox_cursor"

    mailbox: str = Field(primary_key=True, max_length=200)
    uid_validity: int = Field(sa_column=Column(BigInteger(), nullable=False))
    last_uid: int = Field(sa_column=Column(BigInteger(), nullable=False))
