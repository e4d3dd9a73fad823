"""Every NATS subject forewarn uses, named once.

The hierarchy is dotted so wildcards work: `maint.window.>` is every
lifecycle event, `maint.cmd.>` every command.

Each stream has the writers it needs and no others, because JetStream trusts
whoever may write into a stream with two things: its message-id deduplication
(a writer can claim an id first) and its message schedules (a schedule can be
stored on any subject of its stream). So:

- MAINT_COMMANDS holds the operators' commands, the one thing the CLI writes;
- MAINT holds what the services publish: lifecycle events, impact, notice
  outcomes, tenants' replies, reports, inventory changes and dead letters; it
  takes no message schedules;
- MAINT_TIMERS holds the scheduler's timers, MAINT_REMINDERS the notifier's,
  MAINT_DRIFT the impact resolver's, so a timer can fire only onto its
  owner's subjects;
- MAINT_WEBHOOKS holds the notifier's webhook deliveries until each is done;
- MAINT_VIEW mirrors MAINT for readers (the status page, `forewarn tail`):
  they create throw-away consumers there and never touch a service's durable.
"""

from __future__ import annotations

STREAM = "MAINT"
COMMAND_STREAM = "MAINT_COMMANDS"
TIMER_STREAM = "MAINT_TIMERS"
REMINDER_STREAM = "MAINT_REMINDERS"
DRIFT_STREAM = "MAINT_DRIFT"
VIEW_STREAM = "MAINT_VIEW"
WEBHOOK_STREAM = "MAINT_WEBHOOKS"
# Every stream whose consumers may give up on a message.
CONSUMED_STREAMS = (COMMAND_STREAM, STREAM, TIMER_STREAM, REMINDER_STREAM, DRIFT_STREAM, WEBHOOK_STREAM)
# What readers follow on the view: everything MAINT holds.
ALL = "maint.>"

# Commands (imperative): the CLI sends them, the scheduler obeys or rejects.
COMMANDS = "maint.cmd.>"
BOOK = "maint.cmd.book"
RESCHEDULE = "maint.cmd.reschedule"
EXTEND = "maint.cmd.extend"
CANCEL = "maint.cmd.cancel"
COMPLETE = "maint.cmd.complete"
PROGRESS = "maint.cmd.progress"
SERIES = "maint.cmd.series"

# Window lifecycle events (past tense): only the scheduler publishes them.
WINDOW_EVENTS = "maint.window.>"
SCHEDULED = "maint.window.scheduled"
REJECTED = "maint.window.rejected"
RESCHEDULED = "maint.window.rescheduled"
EXTENDED = "maint.window.extended"
STARTED = "maint.window.started"
COMPLETED = "maint.window.completed"
CANCELLED = "maint.window.cancelled"
PROGRESSED = "maint.window.progressed"

IMPACT_RESOLVED = "maint.impact.resolved"
IMPACT = "maint.impact.>"

# Delivery outcomes, one per notice and recipient: only the notifier publishes them.
NOTICE_DELIVERED = "maint.notice.delivered"
NOTICE_FAILED = "maint.notice.failed"
NOTICES = "maint.notice.>"

# Tenants' answers to notices: the status page publishes those from signed links.
REPLY_RECEIVED = "maint.reply.received"
REPLIES = "maint.reply.>"
# The status page asks the reporter to record an answer from a link; no stream holds it. The
# reporter checks it and stores the ReplyReceived, so whatever else arrives here (a copy, the
# server's JSON) is refused and never stored (docs/internals/security.md, "Two accounts").
RECORD_ANSWER = "maint.answer.record"

# One completion report per window that ended: only the reporter publishes it.
REPORT_PUBLISHED = "maint.report.published"
REPORTS = "maint.report.>"

# Durable timers. A schedule message waits on maint.timer.<window>.<edge>;
# when due, the server stores its body on maint.due.<window>.<edge>.
TIMER_PREFIX = "maint.timer"
WINDOW_TIMERS = (f"{TIMER_PREFIX}.*.start", f"{TIMER_PREFIX}.*.end")
DUE = "maint.due.>"

# Reminder timers: maint.timer.<window>.remind.<lead>.p<part> fires onto
# maint.remind.<window>.<lead>.p<part>; the notifier owns both. An escalation
# is a reminder too, its lead written e<seconds>.
REMINDERS = "maint.remind.>"
REMINDER_TIMERS = f"{TIMER_PREFIX}.*.remind.>"


def _part(part: int, drift: int) -> str:
    # A drift's parts remind only the tenants who joined: their timers sit beside the revision's own.
    return f"d{drift}p{part}" if drift else f"p{part}"


def reminder_timer(window_id: str, lead: int | str, part: int, drift: int = 0) -> str:
    """Subject holding one reminder's schedule; lead in seconds (an escalation's written e<seconds>)."""
    return f"{TIMER_PREFIX}.{window_id}.remind.{lead}.{_part(part, drift)}"


def reminder_timers(window_id: str) -> str:
    """Every reminder schedule of a window, for purging once it is cancelled."""
    return f"{TIMER_PREFIX}.{window_id}.remind.>"


def reminder_due(window_id: str, lead: int | str, part: int, drift: int = 0) -> str:
    """Subject a reminder fires onto."""
    return f"maint.remind.{window_id}.{lead}.{_part(part, drift)}"


# Drift checks: a change to the inventory under a scheduled window sets
# maint.timer.<window>.drift, which fires onto maint.drift.<window> a few
# seconds later; the impact resolver owns both, so a burst is checked once.
DRIFT_TIMERS = f"{TIMER_PREFIX}.*.drift"
DRIFT_DUE = "maint.drift.>"


def drift_timer(window_id: str) -> str:
    """Subject holding a window's pending drift check."""
    return f"{TIMER_PREFIX}.{window_id}.drift"


def drift_due(window_id: str) -> str:
    """Subject a window's drift check fires onto."""
    return f"maint.drift.{window_id}"


# The inventory changed under forewarn (a cloud's servers moved): only the inventory publishes it.
INVENTORY_CHANGED = "maint.inventory.changed"
INVENTORY = "maint.inventory.>"

# Webhook deliveries: maint.webhook.<endpoint> holds one event for one endpoint,
# until it is delivered or has failed; only the notifier writes and reads them.
WEBHOOKS = "maint.webhook.>"


def webhook(endpoint_id: str) -> str:
    """Subject of the deliveries to one endpoint."""
    return f"maint.webhook.{endpoint_id}"


# Messages a consumer could not use, with the reason.
DEAD_LETTERS = "maint.dlq.>"
DEAD_LETTER_PREFIX = "maint.dlq"
# The server's notice that a consumer gave up on a message after its last
# allowed delivery; MAINT keeps these too, for each stream, so none is missed.
MAX_DELIVERIES = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.>"


def max_deliveries(stream: str) -> str:
    """The advisories of one stream's consumers giving up."""
    return f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{stream}.>"


# What each stream holds.
STREAM_SUBJECTS = {
    COMMAND_STREAM: (COMMANDS,),
    STREAM: (
        WINDOW_EVENTS,
        IMPACT,
        NOTICES,
        REPLIES,
        REPORTS,
        INVENTORY,
        DEAD_LETTERS,
        *(max_deliveries(name) for name in CONSUMED_STREAMS),
    ),
    TIMER_STREAM: (*WINDOW_TIMERS, DUE),
    REMINDER_STREAM: (REMINDER_TIMERS, REMINDERS),
    DRIFT_STREAM: (DRIFT_TIMERS, DRIFT_DUE),
    WEBHOOK_STREAM: (WEBHOOKS,),
}


def matches(pattern: str, subject: str) -> bool:
    """Whether a literal subject matches a NATS pattern (`*` one token, `>` the rest)."""
    want, have = pattern.split("."), subject.split(".")
    for i, token in enumerate(want):
        if token == ">":
            return len(have) > i
        if i >= len(have) or (token != "*" and token != have[i]):
            return False
    return len(want) == len(have)


def stream_of(subject: str) -> str:
    """The stream a message on this literal subject is stored in."""
    for stream, patterns in STREAM_SUBJECTS.items():
        if any(matches(p, subject) for p in patterns):
            return stream
    raise ValueError(f"no forewarn stream holds {subject!r}")


def timer(window_id: str, edge: str) -> str:
    """Subject holding the schedule for a window's start or end."""
    return f"{TIMER_PREFIX}.{window_id}.{edge}"


def due(window_id: str, edge: str) -> str:
    """Subject a window's timer fires onto."""
    return f"maint.due.{window_id}.{edge}"


def dead_letter(consumer: str) -> str:
    """Subject for messages a consumer gave up on."""
    return f"{DEAD_LETTER_PREFIX}.{consumer}"


# Answers to a request go to the asker's inbox: `_INBOX.<token>`, or a login's own
# `_INBOX_<login>.<token>`. Never onto an event subject, whatever a message asks.
INBOX = "_INBOX"
# A request from the other NATS account arrives with a reply subject the server made
# under this prefix, which takes the answer back to the asker's own inbox.
ACROSS_ACCOUNTS = "_R_"


def inbox_prefix(login: str) -> str:
    """A login's own inboxes: where its requests' answers and its consumers' messages come."""
    return f"{INBOX}_{login}"


def is_inbox(subject: str) -> bool:
    """Whether a literal subject is a requester's inbox, the only place an answer may go."""
    first, _, rest = subject.partition(".")
    literal = bool(rest) and not ({"*", ">"} & set(subject.split(".")))
    return literal and (first in (INBOX, ACROSS_ACCOUNTS) or first.startswith(f"{INBOX}_"))
