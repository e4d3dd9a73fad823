"""JetStream itself, for what the broker does not wrap: the context, stored messages, the server's limits."""

from __future__ import annotations

from faststream.nats import NatsBroker
from nats.aio.client import Client
from nats.js.api import RawStreamMsg
from nats.js.client import JetStreamContext

from .stream import MAX_PAYLOAD


def context(broker: NatsBroker) -> JetStreamContext:
    """The broker's JetStream context, for the calls FastStream has no word for."""
    return broker.config.connection_state.stream


def connection(broker: NatsBroker) -> Client:
    """The broker's plain NATS connection, for a core subscription."""
    return broker.config.connection_state.connection


def max_payload(broker: NatsBroker) -> int:
    """The largest message this server takes, and never more than forewarn's own limit."""
    nc = connection(broker)
    return min(nc.max_payload, MAX_PAYLOAD) if nc else MAX_PAYLOAD


async def message(broker: NatsBroker, stream: str, seq: int) -> RawStreamMsg:
    """One stored message by its place in a stream."""
    return await context(broker).get_msg(stream, seq)
