"""The replies reader's settings: the organizer's mailbox, where calendars send their answers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr

from ..common.durations import Duration
from ..platform.config import CommonSettings, EmptyIsUnset


class RepliesSettings(CommonSettings):
    """FOREWARN_* variables read by `forewarn run replies`."""

    imap_host: Annotated[str | None, EmptyIsUnset] = Field(
        default=None,
        description="The IMAP server of the organizer's mailbox (FOREWARN_MAIL_FROM), "
        "where calendars send their answers. Unset: answers from calendars are not read.",
    )
    imap_port: int = Field(default=993, ge=1, le=65535, description="The IMAP server's port.")
    imap_tls: Literal["tls", "starttls", "none"] = Field(
        default="tls", description="How the IMAP server is reached."
    )
    imap_ca_file: Annotated[Path | None, EmptyIsUnset] = Field(
        default=None, description="CA bundle that signed the IMAP server's certificate. Unset: the system's."
    )
    imap_username: Annotated[str | None, EmptyIsUnset] = Field(
        default=None, description="The mailbox's login."
    )
    imap_password: Annotated[SecretStr | None, EmptyIsUnset] = Field(
        default=None, description="Its password."
    )
    imap_mailbox: str = Field(
        default="INBOX", max_length=200, description="The folder calendars' replies arrive in."
    )
    imap_answered_folder: str = Field(
        default="forewarn-answers",
        max_length=200,
        description="Where each reply read is moved (created if missing); anything else stays where it is.",
    )
    imap_strangers_folder: str = Field(
        default="forewarn-strangers",
        max_length=200,
        description="Where a reply from an address that is no contact of its tenant is set aside "
        "(created if missing): it counts for nothing, and the log says whose it was.",
    )
    imap_idle: Duration = Field(
        default=timedelta(minutes=5),
        ge=timedelta(seconds=1),
        description="How long one IMAP IDLE waits for new mail before the mailbox is checked anyway.",
    )

    @property
    def reads_mailbox(self) -> bool:
        """Whether the organizer's mailbox is named: `forewarn up` then reads calendars' answers too."""
        return self.imap_host is not None
