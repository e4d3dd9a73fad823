"""The status page's subscriber: the whole view of MAINT, from its first message, on every start."""

from __future__ import annotations

from collections.abc import Callable

from faststream import AckPolicy
from faststream.nats import DeliverPolicy, NatsMessage, NatsRouter

from forewarn.schemas import subjects

from ..bus.stream import stream
from .service import StatusPage


def statuspage_router(get: Callable[[], StatusPage]) -> NatsRouter:
    """An ordered consumer: ephemeral, in stream order, nothing to ack.

    The page keeps no state of its own, so it needs no durable consumer: each
    start reads the stream from the beginning and rebuilds the same view.
    """
    router = NatsRouter()

    @router.subscriber(
        subjects.ALL,
        stream=stream(subjects.VIEW_STREAM),
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.MANUAL,
        # Commands carry the CLI's reply address; only the scheduler may answer them.
        no_reply=True,
        title="StatusPage",
        description="Every message of the stream, in order, into the public status page's view.",
    )
    async def project_onto_status_page(msg: NatsMessage) -> None:
        await get().on_message(msg)

    return router
