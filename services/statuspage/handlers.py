"""The status page's subscriber: the view of MAINT, from where the page's snapshot ends."""

from __future__ import annotations

from collections.abc import Callable

from faststream import AckPolicy
from faststream.nats import ConsumerConfig, DeliverPolicy, NatsMessage, NatsRouter

from forewarn.schemas import subjects

from ..bus.stream import stream
from .service import StatusPage


def statuspage_router(get: Callable[[], StatusPage], *, resume_at: int = 1) -> NatsRouter:
    """An ordered consumer: ephemeral, in stream order, nothing to ack.

    The page needs no durable consumer: each start restores its snapshot
    (StatusPage.prepare) and reads the stream from the message after it.
    """
    router = NatsRouter()

    @router.subscriber(
        subjects.ALL,
        stream=stream(subjects.VIEW_STREAM),
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
        config=ConsumerConfig(opt_start_seq=resume_at),
        ack_policy=AckPolicy.MANUAL,
        # Commands carry the CLI's reply address; only the scheduler may answer them.
        no_reply=True,
        title="StatusPage",
        description="Every message of the stream, in order, into the public status page's view.",
    )
    async def project_onto_status_page(msg: NatsMessage) -> None:
        await get().on_message(msg)

    return router
