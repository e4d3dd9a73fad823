"""A window's timeline: every event the scheduler produced, stored with the cause that produced it.

The state machine (lifecycle.py) says what happened as typed events; here they
become messages, each with the id it is published under, and are stored in the
same transaction. A command or timer that is delivered again finds its messages
here and republishes exactly them, with the same ids, so the stream stores them
once and nothing is decided twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from forewarn.schemas import msgids
from forewarn.schemas.base import Payload
from forewarn.schemas.catalog import WINDOW_EVENTS
from forewarn.schemas.windows import Reason, WindowEvent, WindowRejected

from ..bus.publish import Outgoing
from .models import WindowEventRecord


@dataclass(frozen=True)
class Entry:
    """One event of the timeline: the window it is about (if a rejection's command names one), its message."""

    window_id: str | None
    out: Outgoing


def recorded(session: Session, cause: str) -> list[Entry]:
    """Events already produced for a command or timer: its redelivery republishes them."""
    rows = session.scalars(
        select(WindowEventRecord).where(WindowEventRecord.cause == cause).order_by(WindowEventRecord.revision)
    )
    return [Entry(r.window_id, Outgoing(r.subject, r.msg_id, r.payload.encode())) for r in rows]


def record(session: Session, cause: str, events: list[WindowEvent] | list[WindowRejected]) -> list[Entry]:
    """Store what a command or timer produced, in order, and return it for publishing."""
    return [_record(session, cause, event) for event in events]


def _record(session: Session, cause: str, event: WindowEvent | WindowRejected) -> Entry:
    subject = WINDOW_EVENTS[type(event)]
    kind = subject.rsplit(".", 1)[-1]
    body = event.model_dump_json()
    if isinstance(event, WindowEvent):
        # Lifecycle events are keyed by the window's revision they leave it at.
        window_id, revision = event.window.id, event.window.revision
        msg_id = msgids.event(window_id, revision, kind)
    else:  # a rejection, by its command
        window_id, revision, msg_id = event.window_id, 0, msgids.rejected(cause)
    session.add(
        WindowEventRecord(
            msg_id=msg_id,
            window_id=window_id,
            cause=cause,
            subject=subject,
            kind=kind,
            revision=revision,
            payload=body,
        )
    )
    return Entry(window_id, Outgoing(subject, msg_id, body.encode()))


def rejection(command: Payload, reasons: list[Reason]) -> WindowRejected:
    """The event that says a command was refused, and why."""
    return WindowRejected(
        command_id=getattr(command, "command_id", ""),
        command=type(command).__name__,
        window_id=getattr(command, "window_id", None),
        reasons=reasons,
    )


def timer_cause(window_id: str, edge: str) -> str:
    """The cause key of a timer transition: each edge happens once per window."""
    return f"timer:{window_id}:{edge}"
