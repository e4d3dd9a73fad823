"""The scheduler's settings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field

from forewarn import calendars

from ..common.durations import Duration
from ..platform.config import CommonSettings


class SchedulerSettings(CommonSettings):
    """FOREWARN_* variables read by the scheduler."""

    min_lead: Duration = Field(
        default=timedelta(0), description="Minimum time between booking and start, e.g. 48h."
    )
    max_duration: Duration = Field(default=timedelta(days=14), description="Longest window accepted.")
    min_duration: Duration = Field(
        default=timedelta(minutes=15),
        description="Shortest window accepted without --short: a guard against a duration typed "
        "in the wrong unit.",
    )
    slot_slack: Duration = Field(
        default=timedelta(minutes=15),
        description="How far a rolling window's batch may run from the slot its tenants were told "
        "before they are told the new one.",
    )
    freeze_dir: Path = Field(
        default=Path(calendars.__file__).parent,
        description="Folder of .ics files whose events are change freezes.",
    )
