"""The reporter's settings: the mail server's (it mails tenants and ops), and where ops read reports."""

from __future__ import annotations

from pydantic import Field

from ..mail.settings import MailSettings


class ReporterSettings(MailSettings):
    """FOREWARN_* variables read by the reporter."""

    ops_email: str | None = Field(
        default=None,
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="The ops mailbox that gets every full report. Unset: reports are only published.",
    )
