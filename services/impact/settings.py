"""The impact resolver's settings."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from ..common.durations import Duration
from ..platform.config import CommonSettings


class ImpactSettings(CommonSettings):
    """FOREWARN_* variables read by the impact resolver."""

    impact_part_tenants: int = Field(
        default=100,
        ge=1,
        le=10_000,
        description="Tenants per ImpactResolved message at most: a window's notices are split "
        "into parts this size, which the notifier processes share.",
    )
    drift_debounce: Duration = Field(
        default=timedelta(seconds=10),
        description="How long changes to the inventory under a scheduled window are gathered before "
        "the tenants who joined or left it are told: a burst is told once (e.g. 10s, 1m).",
    )
