"""The status page's settings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field

from forewarn import templates

from ..answers.links import AnswerSettings
from ..common.durations import Duration
from ..platform.config import CommonSettings


class StatusSettings(CommonSettings, AnswerSettings):
    """FOREWARN_* variables read by the status page (and by `forewarn tenant token` for its URLs)."""

    status_host: str = Field(default="127.0.0.1", description="Address the status page listens on.")
    status_port: int = Field(default=8080, ge=0, le=65535, description="0 picks a free port.")
    status_name: str = Field(default="Cloud status", max_length=80, description="The page's title.")
    status_recent_days: int = Field(
        default=7, ge=1, le=90, description="Ended windows stay on the page this many days."
    )
    status_snapshot_every: Duration = Field(
        default=timedelta(seconds=30),
        description="How often the page stores its view, so a start reads only the stream since.",
    )
    templates_dir: Path = Field(
        default=Path(templates.__file__).parent,
        description="The templates; the status page's are in status/.",
    )

    def public_url(self, port: int | None = None) -> str:
        """Where people reach the page, without a trailing slash."""
        if self.status_url:
            return self.status_url.rstrip("/")
        return f"http://{self.status_host}:{port if port is not None else self.status_port}"
