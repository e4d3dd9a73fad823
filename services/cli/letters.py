"""Dead letters as the view stream holds them, read for `forewarn dlq`."""

from __future__ import annotations

from dataclasses import dataclass

from nats.js.api import DeliverPolicy
from nats.js.errors import NotFoundError

from forewarn.schemas import subjects
from forewarn.schemas.events import DeadLettered

from ..bus.reliability import PAYLOAD_KEEP
from .common import Abort


@dataclass(frozen=True)
class Stored:
    """A dead letter and where the stream holds it."""

    letter: DeadLettered
    seq: int


async def letters(js) -> list[Stored]:
    """Every dead letter in the stream, oldest first."""
    try:
        info = await js.stream_info(subjects.VIEW_STREAM, subjects_filter=subjects.DEAD_LETTERS)
    except NotFoundError:
        raise Abort(
            f"stream {subjects.VIEW_STREAM} does not exist yet: start the scheduler", code=1
        ) from None
    total = sum((info.state.subjects or {}).values())
    if not total:
        return []
    sub = await js.subscribe(
        subjects.DEAD_LETTERS,
        stream=subjects.VIEW_STREAM,
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.ALL,
    )
    try:
        found = []
        for _ in range(total):
            msg = await sub.next_msg(timeout=5)
            found.append(Stored(letter(msg), msg.metadata.sequence.stream))
        return found
    finally:
        await sub.unsubscribe()


def letter(msg) -> DeadLettered:
    """The dead letter a message holds; one that holds none is listed as such, never replayed."""
    try:
        return DeadLettered.model_validate_json(msg.data)
    except ValueError as exc:
        seq = msg.metadata.sequence.stream
        return DeadLettered(
            id=f"unreadable.{seq}",
            subject="?",
            consumer=msg.subject.removeprefix(subjects.DEAD_LETTER_PREFIX + "."),
            reason=f"not a dead letter record ({type(exc).__name__}); kept as it is",
            stream_seq=seq,
            payload=bytes(msg.data[:PAYLOAD_KEEP]).decode("utf-8", errors="replace"),
        )


def replayable(subject: str) -> bool:
    try:
        return subject.startswith("maint.") and bool(subjects.stream_of(subject))
    except ValueError:
        return False
