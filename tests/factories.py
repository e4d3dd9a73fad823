"""Sample payloads for tests: one place to build a window, changed per test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from forewarn.schemas.base import Impact, WindowState
from forewarn.schemas.windows import Component, WindowView

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


def book_in_store(engine, command_id: str, now: datetime, nodeset: str = "sto1-cmp-01") -> str:
    """A two-hour OUTAGE window two days ahead, booked into the store as the scheduler would; its id."""

    from forewarn.schemas.commands import BookWindow, HostSelector
    from forewarn.services.platform.db import transaction
    from forewarn.services.scheduler import lifecycle, timeline
    from forewarn.services.scheduler.freezes import FreezeCalendar
    from forewarn.services.scheduler.rules import Rules

    rules = Rules(min_lead=timedelta(0), max_duration=timedelta(days=14), freezes=FreezeCalendar([]))
    cmd = BookWindow(
        command_id=command_id,
        title="Kernel update",
        impact=Impact.OUTAGE,
        start=now + timedelta(days=2),
        end=now + timedelta(days=2, hours=2),
        hosts=HostSelector(nodeset=nodeset),
    )
    with transaction(engine) as session:
        [booked] = lifecycle.book(session, cmd, rules=rules, now=now)
        timeline.record(session, cmd.command_id, [booked])
    return booked.window.id
