"""Settings of every service that sends mail: the mail server, the templates, the sender."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr

from forewarn import templates

from ..platform.config import CommonSettings, EmptyIsUnset


class MailSettings(CommonSettings):
    """FOREWARN_* variables of the mail server and the templates; each mailing service extends them."""

    smtp_host: Annotated[str | None, EmptyIsUnset] = Field(
        default=None, description="Unset: `forewarn up` runs a demo inbox on 127.0.0.1 that keeps .eml files."
    )
    smtp_port: int = Field(default=1025, ge=1, le=65535, description="The mail server's port.")
    smtp_tls: Literal["none", "starttls", "tls"] = Field(
        default="none", description="How the mail server is reached."
    )
    smtp_ca_file: Annotated[Path | None, EmptyIsUnset] = Field(
        default=None, description="CA bundle that signed the mail server's certificate. Unset: the system's."
    )
    smtp_username: Annotated[str | None, EmptyIsUnset] = Field(
        default=None,
        description="SMTP login. A refused login or an untrusted certificate stops delivery without "
        "failing any notice: the event is tried again later.",
    )
    smtp_password: Annotated[SecretStr | None, EmptyIsUnset] = Field(
        default=None, description="SMTP password."
    )
    smtp_timeout: float = Field(
        default=30.0, gt=0, description="Seconds to wait for the mail server before a try counts as failed."
    )
    smtp_concurrency: int = Field(default=8, ge=1, le=256, description="Mails in flight at once.")
    templates_dir: Path = Field(
        default=Path(templates.__file__).parent, description="The notice templates and their phrase book."
    )
