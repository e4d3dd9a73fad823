"""Shared base for every payload on the bus."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class Payload(BaseModel):
    """A message on the bus: strict, immutable and versioned."""

    # Unknown fields are an error, not silently dropped: a producer on a newer
    # contract must bump schema_version, and a typo must not lose data.
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = Field(
        default=SCHEMA_VERSION,
        description="Version of this payload's contract; consumers reject others.",
    )


class Impact(StrEnum):
    """How the customer's resources are affected, in MAINT-NOTE terms."""

    OUTAGE = "OUTAGE"
    DEGRADED = "DEGRADED"
    REDUCED_REDUNDANCY = "REDUCED-REDUNDANCY"
    NO_IMPACT = "NO-IMPACT"

    @classmethod
    def parse(cls, text: str) -> Impact:
        """Read `outage`, `reduced-redundancy`, `REDUCED_REDUNDANCY`... alike."""
        return cls(text.strip().upper().replace("_", "-"))

    @property
    def plain(self) -> str:
        """The level in plain words, for people."""
        return {
            Impact.OUTAGE: "the resources are unavailable",
            Impact.DEGRADED: "the resources stay up with reduced performance",
            Impact.REDUCED_REDUNDANCY: "the resources stay up with reduced redundancy",
            Impact.NO_IMPACT: "no impact is expected",
        }[self]


class WindowState(StrEnum):
    """Where a window is in its life."""

    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def live(self) -> bool:
        """A live window still holds its hosts."""
        return self in (WindowState.SCHEDULED, WindowState.IN_PROGRESS)


def as_utc(value: datetime) -> datetime:
    """Normalise an aware time to UTC; the bus speaks UTC only."""
    return value.astimezone(UTC)


# Naive times are refused (AwareDatetime); aware ones are stored in UTC.
UtcTime = Annotated[AwareDatetime, AfterValidator(as_utc)]
