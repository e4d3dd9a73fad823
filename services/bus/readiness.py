"""Ready, not only alive: the streams and consumers a process needs exist, and someone pulls.

A process is live while its NATS connection answers; it is ready once every
stream it reads and every durable consumer it pulls from exists. The stack is
ready for a booking once the consumers a booking goes through (the scheduler's,
the impact resolver's and the notifier's) exist and each has a pull waiting,
that is, a running service behind it. `/health/ready`, `forewarn wait` and the
compose and Kubernetes probes all ask this.
"""

from __future__ import annotations

from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError

from forewarn.schemas import subjects

# What a booking goes through, in order: (stream, durable consumer, the service behind it).
BOOKING_PATH = (
    (subjects.COMMAND_STREAM, "scheduler-book", "scheduler"),
    (subjects.STREAM, "impact-scheduled", "impact resolver"),
    (subjects.STREAM, "notifier", "notifier"),
)


async def missing(js: JetStreamContext, consumers: list[tuple[str, str]]) -> list[str]:
    """What of these (stream, consumer) pairs, and of the view readers follow, does not exist yet."""
    gone: list[str] = []
    for stream in dict.fromkeys([*(stream for stream, _ in consumers), subjects.VIEW_STREAM]):
        try:
            await js.stream_info(stream)
        except NotFoundError:
            gone.append(f"stream {stream}")
    for stream, name in consumers:
        if f"stream {stream}" in gone:
            continue
        try:
            await js.consumer_info(stream, name)
        except NotFoundError:
            gone.append(f"consumer {name} on {stream}")
    return gone


async def unready_for_booking(js: JetStreamContext) -> list[str]:
    """Why a booking would not go through yet; empty once it would."""
    gone = await missing(js, [(stream, name) for stream, name, _ in BOOKING_PATH])
    if gone:
        return gone
    idle = []
    for stream, name, service in BOOKING_PATH:
        info = await js.consumer_info(stream, name)
        if not info.num_waiting:
            idle.append(f"no {service} is pulling from {name}")
    return idle
