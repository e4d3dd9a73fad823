"""What the status page says, in words people read: states, impacts and each event on a timeline.

The API keeps Statuspage's own values; these are for the HTML, the feed and
the timeline. They describe times, impact and state, never who is affected.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from babel.dates import format_datetime, format_timedelta

from forewarn.schemas.windows import (
    WindowCancelled,
    WindowCompleted,
    WindowEvent,
    WindowExtended,
    WindowProgressed,
    WindowRescheduled,
    WindowStarted,
)

from ..common import rolling

# The words people read for each value; the API keeps Statuspage's own values.
WORDS = {
    "state": {
        "scheduled": "Scheduled",
        "in_progress": "In progress",
        "completed": "Completed",
        "cancelled": "Cancelled",
    },
    "component": {
        "operational": "Operational",
        "degraded_performance": "Degraded performance",
        "partial_outage": "Partial outage",
        "major_outage": "Major outage",
        "under_maintenance": "Under maintenance",
    },
    "impact": {
        "OUTAGE": "Outage: services unavailable",
        "DEGRADED": "Degraded performance",
        "REDUCED-REDUNDANCY": "Reduced redundancy",
        "NO-IMPACT": "No impact expected",
    },
}


def when(at: datetime) -> str:
    """A time as the page shows it everywhere: 'Tue 1 Dec 2026 21:00 UTC', 24-hour, with its zone."""
    return f"{format_datetime(at, 'EEE d MMM yyyy HH:mm', tzinfo=UTC, locale='en')} UTC"


def span(delta: timedelta) -> str:
    """A length of time in words: '40 minutes'."""
    return format_timedelta(delta, locale="en", threshold=1.1)


def describe(event: WindowEvent) -> str:
    """The timeline text for a lifecycle event: times, impact and state, never who is affected."""
    w = event.window
    if isinstance(event, WindowRescheduled):
        return f"Moved to {when(w.start)} – {when(w.end)} (was {when(event.previous_start)})."
    if isinstance(event, WindowExtended):
        return f"Extended by {span(event.by)}; now expected to end at {when(w.end)}."
    if isinstance(event, WindowStarted):
        late = f" It began {span(event.late_by)} after the planned start." if event.late else ""
        return f"The maintenance is in progress.{late}"
    if isinstance(event, WindowProgressed):
        done, total = rolling.progress(w)
        return f"{done} of {total} hosts done ({rolling.batches_done(w)} of {len(w.batches)} batches)."
    if isinstance(event, WindowCompleted):
        return "The maintenance is complete." + (" It finished ahead of schedule." if event.early else "")
    if isinstance(event, WindowCancelled):
        return "This maintenance was cancelled. Nothing will change."
    return f"Scheduled for {when(w.start)} – {when(w.end)}. Expected impact: {w.impact.plain}."
