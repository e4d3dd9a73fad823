"""Publishing to the stream: every message with a Nats-Msg-Id, retried until stored."""

from __future__ import annotations

from dataclasses import dataclass

import nats.errors
import stamina
from faststream.nats import NatsBroker, PubAck, Schedule
from nats.js.errors import ServiceUnavailableError

from forewarn.schemas import subjects

# A leader election in a cluster takes a few seconds; a restarting server a
# little longer. Retrying with the same Nats-Msg-Id can never store twice.
_TRANSIENT = (
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


@stamina.retry(on=_TRANSIENT, attempts=10, timeout=60.0)
async def publish(
    broker: NatsBroker, out: Outgoing, *, timeout: float, schedule: Schedule | None = None
) -> PubAck:
    """Store one message in the stream; a repeat within the dedup window is a no-op."""
    return await broker.publish(
        out.payload,
        out.subject,
        stream=subjects.STREAM,
        headers={"Nats-Msg-Id": out.msg_id, "content-type": "application/json"},
        timeout=timeout,
        schedule=schedule,
    )


async def publish_all(broker: NatsBroker, outgoing: list[Outgoing], *, timeout: float) -> None:
    """Store messages in order."""
    for out in outgoing:
        await publish(broker, out, timeout=timeout)
