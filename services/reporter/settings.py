"""The reporter's settings: the notifier's (it mails tenants too), and where ops read reports."""

from __future__ import annotations

from pydantic import Field

from ..notifier.settings import NotifierSettings


class ReporterSettings(NotifierSettings):
    """FOREWARN_* variables read by the reporter."""

    ops_email: str | None = Field(
        default=None,
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="The ops mailbox that gets every full report. Unset: reports are only published.",
    )
