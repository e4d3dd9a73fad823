"""A tenant's answer onto the bus, the one way: the reporter (for links) and the replies reader."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from faststream.nats import NatsBroker

from forewarn.schemas import msgids, subjects
from forewarn.schemas.answers import ReplyReceived

from ..bus.publish import Outgoing, publish
from ..bus.retention import past_window

log = logging.getLogger("forewarn.answers")


async def publish_reply(
    broker: NatsBroker, reply: ReplyReceived, *, window_end: datetime, retention: timedelta, timeout: float
) -> None:
    """Publish ReplyReceived under its own id, kept as long as its window's impact."""
    out = Outgoing(
        subjects.REPLY_RECEIVED,
        msgids.reply(reply.reply_id),
        reply.model_dump_json().encode(),
        ttl=past_window(window_end, retention),
    )
    await publish(broker, out, timeout=timeout)
    log.info(
        "window %s: tenant %s answered %s by %s", reply.window_id, reply.tenant_id, reply.answer, reply.via
    )
