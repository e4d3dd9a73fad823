"""Taking a piece of text out of the streams: found, rewritten where still needed, erased.

JetStream cannot edit a stored message. A message that holds the text is
deleted with the server's erase (its bytes on disk overwritten with random
data, not only unlinked), in MAINT and in its view, which mirrors MAINT's
sequence numbers but not its deletions. Where the message is still needed
(a live window's impact, which reminders point at; a report, which is the
record), a rewritten copy is published first, under a new message id.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field

from faststream.nats import NatsBroker
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError

from forewarn.schemas import subjects
from forewarn.schemas.base import utcnow

from ..common.durations import parse_duration
from .jetstream import context, view_context
from .publish import Outgoing, publish

# A copy's body from the original's, or None to erase it without a copy.
Rewrite = Callable[[bytes], bytes | None]


@dataclass
class Erasure:
    """What came out of the streams, by subject."""

    erased: Counter[str] = field(default_factory=Counter)
    rewritten: Counter[str] = field(default_factory=Counter)


async def holding(broker: NatsBroker, text: str, patterns: Sequence[str]) -> list[Msg]:
    """Every message of MAINT on these subjects whose body holds the text, in any case."""
    js = context(broker)
    needle = text.lower().encode()
    config = ConsumerConfig(filter_subjects=list(patterns), deliver_policy=DeliverPolicy.ALL)
    sub = await js.subscribe("", stream=subjects.STREAM, ordered_consumer=True, config=config)
    found = []
    try:
        # Pending counts what the server has not pushed yet: with nothing pushed either, none match.
        info = await sub.consumer_info()
        pending = info.num_pending or info.delivered.consumer_seq
        while pending:
            try:
                msg = await sub.next_msg(timeout=5)
            except NatsTimeout:
                break
            if needle in msg.data.lower():
                found.append(msg)
            pending = msg.metadata.num_pending
    finally:
        await sub.unsubscribe()
    return found


async def erase(
    broker: NatsBroker,
    text: str,
    patterns: Sequence[str],
    rewrites: Mapping[str, Rewrite],
    *,
    tag: str,
    timeout: float,
) -> Erasure:
    """Erase every message that holds the text; publish a rewritten copy of those still needed.

    `tag` makes the copies' message ids new (the originals' are in the
    duplicate window, and their copies must be stored, not dropped).
    """
    done = Erasure()
    js = context(broker)
    view = await view_context(broker)
    found = await holding(broker, text, patterns)
    if found:
        await _mirrored(view, found[-1].metadata.sequence.stream)
    for msg in found:
        rewrite = next((r for p, r in rewrites.items() if subjects.matches(p, msg.subject)), None)
        body = rewrite(msg.data) if rewrite else None
        if body is not None:
            await publish(broker, _copy(msg, body, tag), timeout=timeout)
            done.rewritten[msg.subject] += 1
        seq = msg.metadata.sequence.stream
        for where, stream in ((js, subjects.STREAM), (view, subjects.VIEW_STREAM)):
            with suppress(NotFoundError):  # the TTL took it meanwhile
                # Without no_erase, the server overwrites the message's bytes on disk.
                await where.delete_msg(stream, seq)
        done.erased[msg.subject] += 1
    return done


class ViewBehind(RuntimeError):
    """The view has not mirrored what is to be erased: erasing now would leave it a copy."""


async def _mirrored(js: JetStreamContext, seq: int, *, timeout: float = 30.0) -> None:
    """Wait until the view holds MAINT up to `seq`, so what is erased in MAINT goes from it too."""
    deadline = asyncio.get_running_loop().time() + timeout
    while (await js.stream_info(subjects.VIEW_STREAM)).state.last_seq < seq:
        if asyncio.get_running_loop().time() > deadline:
            raise ViewBehind(
                f"{subjects.VIEW_STREAM} has not mirrored {subjects.STREAM} up to message {seq} within "
                f"{timeout:g} s; nothing was erased from the streams"
            )
        await asyncio.sleep(0.1)


def _copy(msg: Msg, body: bytes, tag: str) -> Outgoing:
    """The rewritten message, keeping what is left of the original's time to live."""
    headers = msg.headers or {}
    ttl = None
    if "Nats-TTL" in headers:
        lived = utcnow() - msg.metadata.timestamp
        ttl = parse_duration(headers["Nats-TTL"]) - lived
    msg_id = headers.get("Nats-Msg-Id", f"seq{msg.metadata.sequence.stream}")
    return Outgoing(msg.subject, f"{msg_id}.{tag}", body, ttl=ttl)
