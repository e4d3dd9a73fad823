"""Settings of every service that sends mail: the mail server, the templates, the sender."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from forewarn import templates

from ..config import CommonSettings


class MailSettings(CommonSettings):
    """FOREWARN_* variables of the mail server and the templates; each mailing service extends them."""

    smtp_host: str | None = Field(
        default=None, description="Unset: `forewarn up` runs a demo inbox on 127.0.0.1 that keeps .eml files."
    )
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_ca_file: Path | None = Field(
        default=None, description="CA bundle that signed the mail server's certificate. Unset: the system's."
    )
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout: float = Field(default=30.0, gt=0)
    smtp_concurrency: int = Field(default=8, ge=1, le=256, description="Mails in flight at once.")
    templates_dir: Path = Field(default=Path(templates.__file__).parent)

    @field_validator("smtp_host", "smtp_ca_file", "smtp_username", "smtp_password", mode="before")
    @classmethod
    def _unset_if_empty(cls, value: object) -> object:
        # An empty variable (as compose writes ${VAR:-}) means "not set".
        return None if value == "" else value
