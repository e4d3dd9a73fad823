"""A window's timeline: every event the scheduler produced, stored with the cause that produced it.

A command or timer that is delivered again finds its events here and
republishes exactly them, with the same message ids, so the stream stores
them once and nothing is decided twice.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from forewarn.schemas import msgids
from forewarn.schemas.base import Payload
from forewarn.schemas.catalog import WINDOW_EVENTS
from forewarn.schemas.windows import Reason, WindowRejected

from ..bus.publish import Outgoing
from .models import Window, WindowEventRecord


def recorded(session: Session, cause: str) -> list[Outgoing]:
    """Events already produced for a command or timer: its redelivery republishes them."""
    rows = session.scalars(
        select(WindowEventRecord).where(WindowEventRecord.cause == cause).order_by(WindowEventRecord.revision)
    )
    return [Outgoing(r.subject, r.msg_id, r.payload.encode()) for r in rows]


def record(session: Session, cause: str, event: Payload, *, window: Window | None) -> Outgoing:
    """Store an event in the timeline and return it for publishing."""
    subject = WINDOW_EVENTS[type(event)]
    kind = subject.rsplit(".", 1)[-1]
    # Lifecycle events are keyed by window revision, rejections by their command.
    msg_id = msgids.event(window.id, window.revision, kind) if window is not None else msgids.rejected(cause)
    body = event.model_dump_json()
    session.add(
        WindowEventRecord(
            msg_id=msg_id,
            window_id=window.id if window else getattr(event, "window_id", None),
            cause=cause,
            subject=subject,
            kind=kind,
            revision=window.revision if window else 0,
            payload=body,
        )
    )
    return Outgoing(subject, msg_id, body.encode())


def reject(session: Session, command: Payload, reasons: list[Reason]) -> Outgoing:
    """Record and return the rejection of a command."""
    command_id = getattr(command, "command_id", "")
    event = WindowRejected(
        command_id=command_id,
        command=type(command).__name__,
        window_id=getattr(command, "window_id", None),
        reasons=reasons,
    )
    return record(session, command_id, event, window=None)


def timer_cause(window_id: str, edge: str) -> str:
    """The cause key of a timer transition: each edge happens once per window."""
    return f"timer:{window_id}:{edge}"
