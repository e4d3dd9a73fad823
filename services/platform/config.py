"""Settings shared by every service; each service extends them once.

All settings come from the environment with the FOREWARN_ prefix, so the same
variables configure `forewarn up`, `forewarn run SERVICE` and compose.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit, urlunsplit

from platformdirs import user_data_path
from pydantic import BeforeValidator, ByteSize, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ..common.durations import Duration

# The embedded nats-server listens here when FOREWARN_NATS_URL is unset, and
# the CLI looks here too; not 4222, so a system NATS on the same host is left alone.
EMBEDDED_NATS_PORT = 4290


def default_data_dir() -> Path:
    """Where state lives unless FOREWARN_DATA_DIR says: one place per user, whatever the folder.

    A system service that systemd gives a StateDirectory= (/var/lib/forewarn) uses that;
    anyone else their own data folder (~/.local/share/forewarn on Linux).
    """
    if state := os.environ.get("STATE_DIRECTORY", "").split(":")[0]:
        return Path(state)
    return user_data_path("forewarn")


def _none_if_empty(value: object) -> object:
    return None if value == "" else value


# An empty variable (as compose writes ${VAR:-}) means "not set", not "" nor the current
# folder. An annotation, not a validator method: a subclass's validator of the same name
# would silently replace its parent's.
EmptyIsUnset = BeforeValidator(_none_if_empty)


def redact(url: str) -> str:
    """A URL fit to print: the password in it, if any, replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


_DOMAIN = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")


class StartupError(RuntimeError):
    """The environment is not ready for a service to start: the message says what to fix."""


class CommonSettings(BaseSettings):
    """What every forewarn process needs: the bus, the store and who we are."""

    model_config = SettingsConfigDict(env_prefix="FOREWARN_", extra="ignore")

    nats_url: Annotated[str | None, EmptyIsUnset] = Field(
        default=None,
        description="NATS server URL(s), comma-separated. Unset: the embedded server.",
    )
    nats_user: Annotated[str | None, EmptyIsUnset] = Field(
        default=None, description="This service's own NATS user (see Deploying: NATS users)."
    )
    nats_password: Annotated[SecretStr | None, EmptyIsUnset] = Field(
        default=None, description="That user's password."
    )
    nats_ca_file: Annotated[Path | None, EmptyIsUnset] = Field(
        default=None, description="CA that signed the NATS servers' certificates: connect over TLS."
    )
    nats_cert_file: Annotated[Path | None, EmptyIsUnset] = Field(
        default=None, description="Client certificate, for servers that ask."
    )
    nats_key_file: Annotated[Path | None, EmptyIsUnset] = Field(
        default=None, description="The client certificate's private key."
    )
    database_url: Annotated[str | None, EmptyIsUnset] = Field(
        default=None, description="SQLAlchemy URL. Unset: SQLite in the data dir."
    )
    db_auto_migrate: Annotated[bool | None, EmptyIsUnset] = Field(
        default=None,
        description="Migrate the database at start. Unset: yes on SQLite, no elsewhere "
        "(run `forewarn db upgrade` as a release step).",
    )
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="The store (SQLite), the embedded nats-server's files and the bus's passwords. "
        "Unset: systemd's STATE_DIRECTORY for a system service, else the user's data folder "
        "(~/.local/share/forewarn on Linux), whatever the current folder.",
    )
    provider: str = Field(
        default="cloud.example.net",
        description="The operator's domain, used in ids and calendar UIDs.",
    )
    mail_from: str = Field(
        default="maintenance@cloud.example.net",
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="The ops mailbox: sender of every notice and ORGANIZER of every calendar entry.",
    )
    metrics_host: str = Field(default="127.0.0.1", description="Address /metrics and /health listen on.")
    metrics_port: Annotated[int | None, EmptyIsUnset] = Field(
        default=None, ge=0, le=65535, description="Serve /metrics and /health here; 0 picks a free port."
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="The least serious log lines written."
    )
    log_format: Literal["text", "json"] = Field(default="text", description="json: one JSON object per line.")
    otlp_endpoint: Annotated[str | None, EmptyIsUnset] = Field(
        default=None,
        description="OTLP/HTTP traces endpoint (e.g. http://collector:4318/v1/traces). Unset: no traces.",
    )
    nats_connect_timeout: float = Field(
        default=30.0, gt=0, description="Seconds a service tries to reach NATS at start before it exits 1."
    )
    stream_replicas: int = Field(
        default=1, ge=1, le=5, description="Replicas of each stream on a NATS cluster."
    )
    stream_max_bytes: ByteSize = Field(
        default=ByteSize(1024**3),
        ge=64 * 1024**2,
        description="The most each stream may hold (1GiB, 500MB, …): a runaway stops here, not at a full "
        "disk. A full stream refuses new messages, which their publishers retry and log. JetStream "
        "reserves it for each of the 7 streams: the server's store must have room for all.",
    )
    publish_timeout: float = Field(default=5.0, gt=0, description="Seconds to wait for a PubAck.")
    retention: Duration = Field(
        default=timedelta(days=30),
        ge=timedelta(days=1),
        description="How long the streams keep a window's impact, its notice outcomes and fired timers "
        "after the window's end, and inventory changes after they happen (bus/retention.py).",
    )

    @field_validator("provider")
    @classmethod
    def _domain(cls, value: str) -> str:
        if not _DOMAIN.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a domain name: lower-case letters, digits and hyphens in dot-separated "
                "labels, such as cloud.example.net"
            )
        return value

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def shown_servers(self) -> str:
        """The NATS servers for a log line or an error: any password in a URL replaced."""
        return ", ".join(redact(url) for url in self.servers)

    @property
    def servers(self) -> list[str]:
        """The NATS servers to connect to."""
        if self.nats_url:
            return [url.strip() for url in self.nats_url.split(",") if url.strip()]
        return [f"nats://127.0.0.1:{EMBEDDED_NATS_PORT}"]

    @property
    def migrates_at_start(self) -> bool:
        """Whether a starting process brings the schema up to date itself."""
        if self.db_auto_migrate is not None:
            return self.db_auto_migrate
        return self.db_url.startswith("sqlite")

    @property
    def db_url(self) -> str:
        """The database URL, defaulting to SQLite in the data dir."""
        return self.database_url or f"sqlite:///{self.data_dir / 'forewarn.db'}"
