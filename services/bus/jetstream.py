"""JetStream itself, for what the broker does not wrap: the context, stored messages, the server's limits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from faststream.nats import NatsBroker
from nats.aio.client import Client
from nats.js.api import RawStreamMsg
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError, ServiceUnavailableError

from forewarn.schemas import subjects

from .readiness import BOOKING_PATH
from .stream import FRONT_API, MAX_PAYLOAD, SERVICES_API


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


async def view_context(broker: NatsBroker) -> JetStreamContext:
    """The JetStream the view lives in, for a service's or an operator's login.

    With forewarn's users that is the front account's, reached through FRONT_API;
    on a server without them (one account for all) nothing answers there, and the
    view is in this account with everything else.
    """
    return await _reaching(broker, FRONT_API, lambda js: js.stream_info(subjects.VIEW_STREAM))


async def services_context(broker: NatsBroker) -> JetStreamContext:
    """Where the services' consumers are, for the CLI's `forewarn wait`: the same, from the front."""
    stream, name, _ = BOOKING_PATH[0]
    return await _reaching(broker, SERVICES_API, lambda js: js.consumer_info(stream, name))


async def _reaching(
    broker: NatsBroker, prefix: str, ask: Callable[[JetStreamContext], Awaitable[object]]
) -> JetStreamContext:
    """The other account's JetStream under `prefix` if it answers there, else this account's."""
    other = connection(broker).jetstream(prefix=prefix)
    try:
        await ask(other)
    except ServiceUnavailableError:  # no responders: one account for all
        return context(broker)
    except NotFoundError:
        pass  # it answers; what was asked about is not made yet
    return other
