"""The notifier's settings."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from forewarn import templates

from ..config import CommonSettings


class NotifierSettings(CommonSettings):
    """FOREWARN_* variables read by the notifier."""

    smtp_host: str | None = Field(
        default=None, description="Unset: `forewarn up` runs a demo inbox on 127.0.0.1 that keeps .eml files."
    )
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout: float = Field(default=30.0, gt=0)
    smtp_concurrency: int = Field(default=8, ge=1, le=256, description="Mails in flight at once.")
    mail_from: str = Field(default="maintenance@cloud.example.net", pattern=r"^[^@\s]+@[^@\s]+$")
    templates_dir: Path = Field(default=Path(templates.__file__).parent)
