"""The status page's snapshot in the store: one row per followed stream, replaced as the view moves on."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from forewarn.schemas.base import utcnow

from ..platform.db import again_on_conflict
from .models import StatusSnapshot


def load(engine: Engine, stream: str) -> StatusSnapshot | None:
    with Session(engine) as session:
        return session.get(StatusSnapshot, stream)


def save(engine: Engine, stream: str, last_seq: int, body: bytes) -> None:
    """Replace the snapshot; several pages following one stream write views of the same messages."""
    again_on_conflict(
        _save, engine, StatusSnapshot(stream=stream, last_seq=last_seq, body=body, taken_at=utcnow())
    )


def _save(engine: Engine, snapshot: StatusSnapshot) -> None:
    with Session(engine) as session:
        session.merge(snapshot)
        session.commit()
