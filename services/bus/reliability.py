"""What happens when a handler fails: retry what may succeed, dead-letter what never will."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from contextlib import suppress
from typing import Any

from faststream import BaseMiddleware
from faststream.exceptions import AckMessage, NackMessage
from faststream.nats import NatsBroker
from pydantic import ValidationError

from forewarn.schemas import msgids, subjects
from forewarn.schemas.catalog import COMMANDS
from forewarn.schemas.deadletters import DeadLettered
from forewarn.schemas.windows import Reason, WindowRejected

from .inboxes import answer_subject
from .publish import Outgoing, publish
from .stream import ACK_WAIT_S

log = logging.getLogger("forewarn.bus")

# Seconds before the n-th redelivery of a failed message (then the last value).
BACKOFF = (1, 2, 5, 10, 30, 60)
PAYLOAD_KEEP = 64 * 1024
# While a handler works, tell JetStream so well inside the ack wait. The ack wait
# can then be short: a consumer that crashes has its messages redelivered soon.
HEARTBEAT_S = ACK_WAIT_S / 3


class Malformed(Exception):
    """A message that can never be processed, whatever the retries."""

    def __init__(self, reasons: list[Reason]) -> None:
        super().__init__("; ".join(f"{r.field}: {r.message}" for r in reasons))
        self.reasons = reasons


def reasons_of(exc: ValidationError) -> list[Reason]:
    """Pydantic's errors as (field, message) pairs a person can act on."""
    out = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"] if p not in ("body", "cmd", "event", "due")]
        message = err["msg"]
        if not loc and isinstance(err.get("input"), bytes | str):
            # The framework hands over what it could not decode as JSON, as it came.
            message = "is not a JSON object (malformed JSON)"
        out.append(Reason(field=".".join(loc) or "payload", message=message))
    return out or [Reason(field="payload", message=str(exc))]


# Errors that the same input raises every time: retrying cannot help.
INPUT_ERRORS = (
    RecursionError,  # JSON nested deeper than the decoder goes
    OverflowError,  # a time or duration past what Python's datetime holds
    # A body that is no JSON, decoded because its headers say it is: a replayed
    # message carries content-type: application/json, which first-hand junk does not.
    UnicodeDecodeError,
    json.JSONDecodeError,
)


def _reasons(exc: Exception) -> list[Reason]:
    if isinstance(exc, ValidationError):
        return reasons_of(exc)
    if isinstance(exc, Malformed):
        return exc.reasons
    if isinstance(exc, RecursionError):
        return [Reason(field="payload", message="is nested too deeply to read")]
    if isinstance(exc, ValueError):  # the decoding errors above
        return [Reason(field="payload", message="is not a JSON object (malformed JSON)")]
    return [Reason(field="payload", message=f"holds a value out of range: {exc}")]


def backoff(delivered: int) -> float:
    """Delay before the next attempt, growing with the attempts so far."""
    return float(BACKOFF[min(max(delivered, 1), len(BACKOFF)) - 1])


class Reliability(BaseMiddleware):
    """Retries failures with back-off; rejects malformed input to the dead letters.

    A malformed message is acknowledged only after its dead letter (and, for a
    command, its WindowRejected) is stored in the stream, so even that path
    loses nothing; and it never blocks the messages behind it.
    """

    async def consume_scope(self, call_next: Any, msg: Any) -> Any:
        heartbeat = asyncio.create_task(_keep_alive(msg)) if _acked(msg) else None
        meta, metrics = _metadata(msg), self.context.get("metrics")
        if metrics and meta and meta.num_delivered > 1:
            metrics.redeliveries.labels(meta.consumer).inc()
        try:
            return await call_next(msg)
        except (ValidationError, Malformed, *INPUT_ERRORS) as exc:
            await self._reject(msg, _reasons(exc))
            raise AckMessage() from exc
        except (AckMessage, NackMessage):
            raise
        except Exception as exc:
            delivered = meta.num_delivered if meta else 1
            delay = backoff(delivered)
            log.warning("%s failed (attempt %s), retrying in %ss: %r", _subject(msg), delivered, delay, exc)
            raise NackMessage(delay=delay) from exc
        finally:
            if heartbeat:
                heartbeat.cancel()

    async def _reject(self, msg: Any, reasons: list[Reason]) -> None:
        broker = self.context.get("broker")
        meta = _metadata(msg)
        subject = _subject(msg)
        consumer = meta.consumer if meta else "core"
        seq = meta.sequence.stream if meta else None
        stream = meta.stream if meta else subjects.STREAM
        raw = bytes(msg.body or b"")
        reason = "; ".join(f"{r.field}: {r.message}" for r in reasons)
        log.error("rejected %s message on %s: %s", consumer, subject, reason)
        # The stream sequence identifies the message; a core message has only its content.
        digest = hashlib.sha256(raw).hexdigest()[:16]
        letter_id = stream_letter_id(stream, seq) if seq is not None else f"{consumer}.{digest}"
        letter = DeadLettered(
            id=letter_id,
            subject=subject,
            consumer=consumer,
            reason=reason,
            stream=stream if seq is not None else None,
            stream_seq=seq,
            payload=raw[:PAYLOAD_KEEP].decode("utf-8", errors="replace"),
        )
        await store_dead_letter(broker, letter, timeout=5.0)
        if subject.startswith(subjects.COMMANDS[:-1]):
            command_id = _command_id(raw)
            rejection = WindowRejected(
                command_id=command_id,
                command=COMMANDS[subject].__name__ if subject in COMMANDS else subject,
                reasons=reasons,
            )
            out = Outgoing(
                subjects.REJECTED,
                msgids.rejected(command_id or letter_id),
                rejection.model_dump_json().encode(),
            )
            await publish(broker, out, timeout=5.0)
            if reply_to := answer_subject((msg.headers or {}).get("reply_to")):
                await broker.publish(rejection, reply_to)


def stream_letter_id(stream: str, stream_seq: int) -> str:
    """A dead letter's id: the original message's place in its stream."""
    return f"{stream}.{stream_seq}"


async def store_dead_letter(broker: NatsBroker, letter: DeadLettered, *, timeout: float) -> None:
    """Store a dead letter in the stream, and count it in the process's metrics."""
    await publish(broker, dead_letter_out(letter), timeout=timeout)
    if metrics := broker.context.get("metrics"):
        metrics.dead_letters.labels(letter.consumer).inc()


def dead_letter_out(letter: DeadLettered) -> Outgoing:
    """A dead letter to store: one per consumer and message, however often it is recorded.

    Two consumers giving up on one message leave two letters with the same id;
    replaying that id sends the message once, to both.
    """
    return Outgoing(
        subjects.dead_letter(letter.consumer),
        msgids.dead_letter(letter.consumer, letter.id),
        letter.model_dump_json().encode(),
    )


def _acked(msg: Any) -> bool:
    """A JetStream message, which expects an ack or a sign of progress; core messages do not."""
    return bool(_metadata(msg) and msg.raw_message.reply)


async def _keep_alive(msg: Any) -> None:
    while True:
        await asyncio.sleep(HEARTBEAT_S)
        with suppress(Exception):
            await msg.raw_message.in_progress()


def _command_id(raw: bytes) -> str:
    """The sender's command id if the payload is readable enough to hold one."""
    try:
        value = json.loads(raw).get("command_id", "")
    except (ValueError, AttributeError, RecursionError):
        return ""
    return value if isinstance(value, str) and 0 < len(value) <= 64 else ""


def _metadata(msg: Any) -> Any:
    try:
        return msg.raw_message.metadata
    except Exception:  # core NATS messages have no JetStream metadata
        return None


def _subject(msg: Any) -> str:
    return getattr(msg.raw_message, "subject", "?")
