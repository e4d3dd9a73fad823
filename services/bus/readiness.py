"""Ready, not only alive: the streams and consumers a process needs exist, and someone pulls.

A process is live while its NATS connection answers; it is ready once every
stream it reads and every durable consumer it pulls from exists. The stack is
ready for a booking once the consumers a booking goes through (the scheduler's,
the impact resolver's and the notifier's) exist and each has a pull waiting,
that is, a running service behind it. `/health/ready`, `forewarn wait` and the
compose and Kubernetes probes all ask this.
"""

from __future__ import annotations

from faststream.nats import NatsBroker
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError

from forewarn.schemas import subjects

# What a booking goes through, in order: (stream, durable consumer, the service behind it).
BOOKING_PATH = (
    (subjects.COMMAND_STREAM, "scheduler-book", "scheduler"),
    (subjects.STREAM, "impact-scheduled", "impact resolver"),
    (subjects.STREAM, "notifier", "notifier"),
)


# The server's answer about a consumer whose stream does not exist.
STREAM_NOT_FOUND = 10059
# The logins that read the view and no other stream: with forewarn's users they are the
# front account's (accounts.py), which holds the view and none of the services' streams.
READERS = ("cli", "statuspage")
# The last of the services' streams the scheduler declares; the view comes after it.
LAST_SERVICE_STREAM = list(subjects.STREAM_SUBJECTS)[-1]


def last_stream_of(login: str) -> str:
    """The last stream the scheduler declares of those this login sees: once it exists, all do."""
    return subjects.VIEW_STREAM if login in READERS else LAST_SERVICE_STREAM


async def missing(js: JetStreamContext, consumers: list[tuple[str, str]], *, login: str = "") -> list[str]:
    """What of these (stream, consumer) pairs, and of the streams this login needs, does not exist yet."""
    gone: list[str] = []
    needed = [*(stream for stream, _ in consumers), *([last_stream_of(login)] if login else [])]
    for stream in dict.fromkeys(needed):
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


async def unready_for_booking(services: JetStreamContext, view: JetStreamContext | None = None) -> list[str]:
    """Why a booking would not go through yet; empty once it would.

    `services`: where the services' consumers are; `view`: where the view is, if elsewhere.
    """
    gone: list[str] = []
    idle: list[str] = []
    try:
        await (view or services).stream_info(subjects.VIEW_STREAM)
    except NotFoundError:
        gone.append(f"stream {subjects.VIEW_STREAM}")
    for stream, name, service in BOOKING_PATH:
        try:
            info = await services.consumer_info(stream, name)
        except NotFoundError as exc:
            no_stream = exc.err_code == STREAM_NOT_FOUND
            gone.append(f"stream {stream}" if no_stream else f"consumer {name} on {stream}")
            continue
        if not info.num_waiting:
            idle.append(f"no {service} is pulling from {name}")
    return list(dict.fromkeys(gone)) or idle


def consumers_of(broker: NatsBroker) -> list[tuple[str, str]]:
    """The durable consumers a broker reads, as (stream, consumer)."""
    found = set()
    for sub in broker.subscribers:
        name = getattr(sub.config, "durable_name", None)
        if name and sub.stream:
            found.add((sub.stream.name, name))
    return sorted(found)
