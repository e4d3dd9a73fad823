"""How long the streams keep what they hold.

Commands, lifecycle events and reports are the record of what was planned and
what happened: kept for good, and small (a few per window). What is needed
only while a window lives is large and personal: its impact (every affected
contact's address), one outcome per mail, the inventory's changes and the
timers that fired. Those carry a Nats-TTL: until their window ends, then
FOREWARN_RETENTION more, so a year of operations costs what a month does.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from forewarn.schemas.base import utcnow


def past_window(end: datetime, retention: timedelta, now: datetime | None = None) -> timedelta:
    """Keep a window's message while the window lives, and `retention` after its planned end.

    A window that moves later publishes its impact again, with the new end.
    """
    return max(end - (now or utcnow()), timedelta(0)) + retention
