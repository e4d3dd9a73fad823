"""Which payload travels on which subject: the one map the services and the docs share."""

from __future__ import annotations

from . import subjects
from .answers import ReplyReceived
from .base import Payload
from .commands import (
    BookWindow,
    CancelWindow,
    ChangeSeries,
    CompleteWindow,
    ExtendWindow,
    RecordAnswer,
    ReportProgress,
    RescheduleWindow,
)
from .deadletters import DeadLettered
from .impact import ImpactResolved
from .inventory import InventoryChanged
from .notices import NoticeDelivered, NoticeFailed, ReportPublished
from .timers import DriftCheckDue, ReminderDue, WebhookDue, WindowDue
from .windows import (
    WindowCancelled,
    WindowCompleted,
    WindowExtended,
    WindowProgressed,
    WindowRejected,
    WindowRescheduled,
    WindowScheduled,
    WindowStarted,
)

COMMANDS: dict[str, type[Payload]] = {
    subjects.BOOK: BookWindow,
    subjects.RESCHEDULE: RescheduleWindow,
    subjects.EXTEND: ExtendWindow,
    subjects.CANCEL: CancelWindow,
    subjects.COMPLETE: CompleteWindow,
    subjects.PROGRESS: ReportProgress,
    subjects.SERIES: ChangeSeries,
}

# Window lifecycle events: only the scheduler publishes them.
WINDOW_EVENTS: dict[type[Payload], str] = {
    WindowScheduled: subjects.SCHEDULED,
    WindowRejected: subjects.REJECTED,
    WindowRescheduled: subjects.RESCHEDULED,
    WindowExtended: subjects.EXTENDED,
    WindowStarted: subjects.STARTED,
    WindowProgressed: subjects.PROGRESSED,
    WindowCompleted: subjects.COMPLETED,
    WindowCancelled: subjects.CANCELLED,
}

# Every other payload, with its subject (a pattern where a token varies).
OTHERS: dict[type[Payload], str] = {
    ImpactResolved: subjects.IMPACT_RESOLVED,
    NoticeDelivered: subjects.NOTICE_DELIVERED,
    NoticeFailed: subjects.NOTICE_FAILED,
    ReplyReceived: subjects.REPLY_RECEIVED,
    ReportPublished: subjects.REPORT_PUBLISHED,
    InventoryChanged: subjects.INVENTORY_CHANGED,
    WindowDue: "maint.due.*.*",
    ReminderDue: "maint.remind.*.*.*",
    DriftCheckDue: "maint.drift.*",
    DeadLettered: f"{subjects.DEAD_LETTER_PREFIX}.*",
    WebhookDue: "maint.webhook.*",
    RecordAnswer: subjects.RECORD_ANSWER,
}

ALL: dict[type[Payload], str] = (
    {model: subject for subject, model in COMMANDS.items()} | WINDOW_EVENTS | OTHERS
)
