"""Dead letters as the view stream holds them, read for `forewarn dlq`."""

from __future__ import annotations

from dataclasses import dataclass

from nats.js.api import DeliverPolicy
from nats.js.errors import NotFoundError

from forewarn.schemas import subjects
from forewarn.schemas.deadletters import DeadLettered

from ..bus.reliability import PAYLOAD_KEEP
from .common import Abort


@dataclass(frozen=True)
class Stored:
    """A dead letter and where the stream holds it."""

    letter: DeadLettered
    seq: int
    subject: str


async def letters(js, stream: str = subjects.VIEW_STREAM) -> list[Stored]:
    """Every dead letter in the stream (the view, or MAINT for an operator's login), oldest first."""
    try:
        info = await js.stream_info(stream, subjects_filter=subjects.DEAD_LETTERS)
    except NotFoundError:
        raise Abort(f"stream {stream} does not exist yet: start the scheduler", code=1) from None
    total = sum((info.state.subjects or {}).values())
    if not total:
        return []
    sub = await js.subscribe(
        subjects.DEAD_LETTERS,
        stream=stream,
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.ALL,
    )
    try:
        found = []
        for _ in range(total):
            msg = await sub.next_msg(timeout=5)
            found.append(Stored(letter(msg), msg.metadata.sequence.stream, msg.subject))
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


async def original_of(js, stored: Stored) -> tuple[str, bytes]:
    """The message a letter is about, read from its source stream, once the letter is shown to match it.

    A letter is only a pointer: whoever may write dead letters could write one
    whose copy says anything. So a replay takes the original from where the
    letter says it is stored, refuses a letter whose copy differs from it, and
    replays it only on a subject that the letter's own consumer reads.
    """
    letter = stored.letter
    if stored.subject != subjects.dead_letter(letter.consumer):
        raise Abort(
            f"ID: {letter.id} is stored on {stored.subject}, not among {letter.consumer}'s dead letters"
        )
    stream, seq = _source(letter)
    if stream not in subjects.CONSUMED_STREAMS or seq is None:
        raise Abort(f"ID: {letter.id} names no stored message to replay")
    try:
        original = await js.get_msg(stream, seq)
    except NotFoundError:
        raise Abort(f"ID: the original of {letter.id} ({stream} #{seq}) is no longer stored") from None
    data = bytes(original.data or b"")
    if original.subject != letter.subject or data[:PAYLOAD_KEEP].decode("utf-8", "replace") != letter.payload:
        raise Abort(
            f"ID: {letter.id} differs from its original ({stream} #{seq}, on {original.subject}): "
            "refused, since a letter that does not match its source was altered or forged"
        )
    try:
        consumer = await js.consumer_info(stream, letter.consumer)
    except NotFoundError:
        raise Abort(
            f"ID: {letter.consumer}, which gave up on {letter.id}, no longer reads {stream}"
        ) from None
    reads = [f for f in (consumer.config.filter_subject, *(consumer.config.filter_subjects or ())) if f]
    if reads and not any(subjects.matches(f, original.subject) for f in reads):
        raise Abort(f"ID: {letter.consumer} does not read {original.subject}: {letter.id} is not its letter")
    return original.subject, data


def _source(letter: DeadLettered) -> tuple[str | None, int | None]:
    """Where the original is stored; a letter of an earlier release says so only in its id."""
    if letter.stream is not None:
        return letter.stream, letter.stream_seq
    stream, _, seq = letter.id.rpartition(".")
    return (stream, int(seq)) if seq.isdigit() and letter.stream_seq == int(seq) else (None, None)
