"""Dead letters from the server's max-deliveries advisories.

A message whose handler kept failing (a bug, a dependency down for good, a
process that crashes on it) is delivered MAX_DELIVER times; then the server
publishes an advisory, which the stream stores. The scheduler turns each into
a DeadLettered record beside the handlers' own rejections, with the original
subject and payload, so `forewarn dlq list` shows it and `dlq retry` replays it.
"""

from __future__ import annotations

import logging

from faststream.nats import NatsBroker
from nats.js.errors import NotFoundError
from pydantic import BaseModel, ConfigDict

from forewarn.schemas.deadletters import DeadLettered

from .jetstream import message
from .reliability import PAYLOAD_KEEP, store_dead_letter, stream_letter_id

log = logging.getLogger("forewarn.bus")


class MaxDeliveries(BaseModel):
    """The server's io.nats.jetstream.advisory.v1.max_deliver, the fields we use."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    stream: str
    consumer: str
    stream_seq: int
    deliveries: int


async def record_gave_up(broker: NatsBroker, advisory: MaxDeliveries, *, timeout: float) -> None:
    """Store the message a consumer gave up on as a dead letter, with its subject and payload."""
    try:
        original = await message(broker, advisory.stream, advisory.stream_seq)
        subject, payload = original.subject, bytes(original.data or b"")
    except NotFoundError:
        subject, payload = "?", b""  # removed since (a purged timer, say): the record still says what failed
    letter = DeadLettered(
        id=stream_letter_id(advisory.stream, advisory.stream_seq),
        subject=subject,
        consumer=advisory.consumer,
        reason=f"gave up after {advisory.deliveries} deliveries: the handler failed every time (see its log)",
        stream=advisory.stream,
        stream_seq=advisory.stream_seq,
        payload=payload[:PAYLOAD_KEEP].decode("utf-8", errors="replace"),
    )
    log.error("dead letter: %s gave up on %s (%s)", advisory.consumer, subject, letter.id)
    await store_dead_letter(broker, letter, timeout=timeout)
