"""Sample payloads for tests: one place to build a window, changed per test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from forewarn.schemas.base import Impact, WindowState
from forewarn.schemas.events import Component, WindowView

START = datetime(2026, 12, 1, 21, tzinfo=UTC)


def make_window(**changes: object) -> WindowView:
    """A scheduled three-hour OUTAGE window on one STO1 compute host, with these changes."""
    fields: dict[str, object] = {
        "id": "mw-abc12345",
        "title": "STO1 compute: Ubuntu migration",
        "impact": Impact.OUTAGE,
        "state": WindowState.SCHEDULED,
        "start": START,
        "end": START + timedelta(hours=3),
        "revision": 1,
        "hosts": ["sto1-cmp-01"],
        "components": [Component(site="STO1", role="compute")],
    }
    return WindowView(**(fields | changes))
