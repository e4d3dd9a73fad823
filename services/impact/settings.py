"""The impact resolver's settings."""

from __future__ import annotations

from pydantic import Field

from ..config import CommonSettings


class ImpactSettings(CommonSettings):
    """FOREWARN_* variables read by the impact resolver."""

    impact_part_tenants: int = Field(
        default=100,
        ge=1,
        le=10_000,
        description="Tenants per ImpactResolved message at most: a window's notices are split "
        "into parts this size, which the notifier processes share.",
    )
