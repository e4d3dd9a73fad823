"""Publishing to the streams: every message with a Nats-Msg-Id, retried until stored.

JetStream drops a message whose id it has seen within the duplicate window and
answers `duplicate: true`, per stream: any login that may write into a stream
could store a message first under an id another login will use, and so block
that login's message. Window ids are public and revisions guessable, so the
business key alone (`mw-….r2.cancelled`) is no secret. So each id carries a tag
keyed by the publishing login's own password (`mw-….r2.cancelled#3f9a…`): the
same work by the same login (a retry, a redelivery, a second replica) gives the
same id, and no other login can make it.

A duplicate is still checked against what the stream holds, and an id taken by
a message on another subject is an error (IdClaimed), never a quiet loss.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import timedelta

import nats.errors
import stamina
from faststream.nats import NatsBroker, PubAck, Schedule
from nats.js.errors import NotFoundError, ServiceUnavailableError

from forewarn.schemas import subjects

from .jetstream import message

# A leader election in a cluster takes a few seconds; a restarting server a
# little longer. Retrying with the same Nats-Msg-Id can never store twice.
TRANSIENT = (
    nats.errors.TimeoutError,
    nats.errors.NoRespondersError,
    ServiceUnavailableError,
    nats.errors.ConnectionReconnectingError,
)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to store in the stream, with the id that makes it idempotent."""

    subject: str
    msg_id: str
    payload: bytes
    # How long the stream keeps the message (for a timer: the message it fires); None: for good.
    ttl: timedelta | None = None

    @property
    def headers(self) -> dict[str, str]:
        headers = {"Nats-Msg-Id": self.msg_id, "content-type": "application/json"}
        if self.ttl is not None:
            headers["Nats-TTL"] = ttl_header(self.ttl)
        return headers


def ttl_header(ttl: timedelta) -> str:
    """A Nats-TTL value: whole seconds, at least one (the server refuses less)."""
    return f"{max(math.ceil(ttl.total_seconds()), 1)}s"


class IdClaimed(RuntimeError):
    """The stream holds another message under this message's id."""


async def publish(
    broker: NatsBroker,
    out: Outgoing,
    *,
    timeout: float,
    schedule: Schedule | None = None,
    read_from: str | None = None,
) -> PubAck:
    """Store one message in its stream; a true repeat within the dedup window is a no-op.

    A repeat is checked by reading what the stream holds under the id; a login that
    may not read its stream reads the view (`read_from`), which keeps MAINT's numbers.
    """
    ack = await _store(broker, out, timeout=timeout, schedule=schedule)
    if ack.duplicate:
        await _check_repeat(broker, out, ack, read_from or ack.stream)
    return ack


def id_key(password: str) -> bytes:
    """The key a login's message-id tags are made with, derived from its password."""
    return hashlib.sha256(b"forewarn message ids\0" + password.encode()).digest()


def keyed(msg_id: str, key: bytes | None) -> str:
    """The id as stored: the business key and a tag only the holder of `key` can make."""
    if key is None:
        return msg_id  # no login, no one to tell apart: every client of such a server is everyone
    return f"{msg_id}#{hmac.new(key, msg_id.encode(), hashlib.sha256).hexdigest()[:16]}"


@stamina.retry(on=TRANSIENT, attempts=10, timeout=60.0)
async def _store(broker: NatsBroker, out: Outgoing, *, timeout: float, schedule: Schedule | None) -> PubAck:
    headers = out.headers
    headers["Nats-Msg-Id"] = keyed(out.msg_id, broker.context.get("id_key"))
    if schedule is not None and out.ttl is not None:
        # The schedule itself waits until it fires; the message it stores then is what expires.
        headers["Nats-Schedule-TTL"] = headers.pop("Nats-TTL")
    return await broker.publish(
        out.payload,
        out.subject,
        stream=subjects.stream_of(out.subject),
        headers=headers,
        timeout=timeout,
        schedule=schedule,
    )


async def _check_repeat(broker: NatsBroker, out: Outgoing, ack: PubAck, stream: str) -> None:
    """Raise IdClaimed unless the message stored under our id is on our subject.

    Each subject has one writer, so a message there under our id is one we stored
    before. A message since removed (a timer that fired or was purged) was ours too:
    only its owner can publish in a timer stream; so is one the view has not yet copied.
    """
    try:
        stored = await message(broker, stream, ack.seq)
    except NotFoundError:
        return
    if stored.subject != out.subject:
        raise IdClaimed(
            f"message id {out.msg_id!r} for {out.subject} is taken in stream {ack.stream} by a message "
            f"on {stored.subject} (seq {ack.seq}): another publisher claimed it, so ours is not stored"
        )


async def publish_all(broker: NatsBroker, outgoing: list[Outgoing], *, timeout: float) -> None:
    """Store messages in order."""
    for out in outgoing:
        await publish(broker, out, timeout=timeout)
