"""Every NATS subject forewarn uses, named once.

The hierarchy is dotted so wildcards work: `maint.>` is the whole stream,
`maint.window.>` every lifecycle event, `maint.cmd.>` every command.
"""

from __future__ import annotations

STREAM = "MAINT"
ALL = "maint.>"

# Commands (imperative): the CLI sends them, the scheduler obeys or rejects.
COMMANDS = "maint.cmd.>"
BOOK = "maint.cmd.book"
RESCHEDULE = "maint.cmd.reschedule"
EXTEND = "maint.cmd.extend"
CANCEL = "maint.cmd.cancel"
COMPLETE = "maint.cmd.complete"

# Window lifecycle events (past tense): only the scheduler publishes them.
WINDOW_EVENTS = "maint.window.>"
SCHEDULED = "maint.window.scheduled"
REJECTED = "maint.window.rejected"
RESCHEDULED = "maint.window.rescheduled"
EXTENDED = "maint.window.extended"
STARTED = "maint.window.started"
COMPLETED = "maint.window.completed"
CANCELLED = "maint.window.cancelled"

IMPACT_RESOLVED = "maint.impact.resolved"

# Delivery outcomes, one per notice and recipient: only the notifier publishes them.
NOTICE_DELIVERED = "maint.notice.delivered"
NOTICE_FAILED = "maint.notice.failed"

# One completion report per window that ended: only the reporter publishes it.
REPORT_PUBLISHED = "maint.report.published"

# Durable timers. A schedule message waits on maint.timer.<window>.<edge>;
# when due, the server stores its body on maint.due.<window>.<edge>.
TIMER_PREFIX = "maint.timer"
DUE = "maint.due.>"

# Reminder timers: maint.timer.<window>.remind.<lead>.p<part> fires onto
# maint.remind.<window>.<lead>.p<part>; the notifier owns both.
REMINDERS = "maint.remind.>"


def reminder_timer(window_id: str, lead_s: int, part: int) -> str:
    """Subject holding one reminder's schedule."""
    return f"{TIMER_PREFIX}.{window_id}.remind.{lead_s}.p{part}"


def reminder_timers(window_id: str, part: int | None = None) -> str:
    """The reminder schedules of one part of a window's impact, or of all parts, for purging."""
    return f"{TIMER_PREFIX}.{window_id}.remind.*.p{part}" if part else f"{TIMER_PREFIX}.{window_id}.remind.>"


def reminder_due(window_id: str, lead_s: int, part: int) -> str:
    """Subject a reminder fires onto."""
    return f"maint.remind.{window_id}.{lead_s}.p{part}"


# Messages a consumer could not use, with the reason.
DEAD_LETTERS = "maint.dlq.>"
DEAD_LETTER_PREFIX = "maint.dlq"
# The server's notice that a consumer of the stream gave up on a message after
# its last allowed delivery; the stream keeps these too, so none is missed.
MAX_DELIVERIES = f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{STREAM}.>"


def timer(window_id: str, edge: str) -> str:
    """Subject holding the schedule for a window's start or end."""
    return f"{TIMER_PREFIX}.{window_id}.{edge}"


def due(window_id: str, edge: str) -> str:
    """Subject a window's timer fires onto."""
    return f"maint.due.{window_id}.{edge}"


def dead_letter(consumer: str) -> str:
    """Subject for messages a consumer gave up on."""
    return f"{DEAD_LETTER_PREFIX}.{consumer}"
