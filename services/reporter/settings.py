"""The reporter's settings: the mail server's (it mails tenants and ops), and where ops read reports."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from ..mail.settings import MailSettings
from ..platform.config import EmptyIsUnset


class ReporterSettings(MailSettings):
    """FOREWARN_* variables read by the reporter."""

    ops_email: Annotated[str | None, EmptyIsUnset] = Field(
        default=None,
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="The ops mailbox that gets every full report. Unset: reports are only published.",
    )
    ops_notify: Annotated[list[SecretStr], NoDecode] = Field(
        default=[],
        description="Apprise URLs (slack://…, msteams://…, matrixs://…, json://…) for ops' chat, "
        "space-separated: bookings, starts, completions with their report line, and tenants' "
        "declines and proposed times. Empty: no chat.",
    )

    @field_validator("ops_notify", mode="before")
    @classmethod
    def _urls(cls, value: object) -> object:
        return value.split() if isinstance(value, str) else value
