"""The streams, declared in one place, and the consumer settings every service shares."""

from __future__ import annotations

from typing import Any

from faststream import AckPolicy
from faststream.nats import ConsumerConfig, DeliverPolicy, JStream, PullSub, StorageType
from nats.js.api import AckPolicy as ServerAckPolicy
from nats.js.api import DiscardPolicy, ExternalStream, StreamConfig, StreamSource
from nats.js.client import JetStreamContext
from nats.js.errors import APIError, BadRequestError

from forewarn.schemas import subjects

from ..platform.config import StartupError

# Long enough for an operator's retried CLI call or a service restart to be
# recognised as a repeat of the same publish.
DUPLICATE_WINDOW_S = 15 * 60
# The embedded server accepts messages this large; elsewhere the server's own
# max_payload applies, and large impact results are split below it.
MAX_PAYLOAD = 8 * 1024 * 1024
# After this many failed attempts a message goes to the dead letters.
MAX_DELIVER = 12
# A message a crashed consumer held comes back after this; handlers that work
# longer say so with heartbeats (reliability.py).
ACK_WAIT_S = 10.0
# The server's answer to creating a stream that exists with another configuration.
STREAM_NAME_IN_USE = 10058
# With forewarn's users, the services' JetStream (account FOREWARN) and the front's
# (account FRONT: the CLI's and the status page's) each reach the few parts of the
# other's API they need under these prefixes (accounts.py, natsconf.py); MAINT's
# messages reach the front's view on subjects under VIEW_DELIVERY.
SERVICES_API = "$JS.FOREWARN.API"
FRONT_API = "$JS.FRONT.API"
VIEW_DELIVERY = "forewarn.view"


DESCRIPTIONS = {
    subjects.COMMAND_STREAM: "forewarn: operators' commands; only the CLI writes here",
    subjects.STREAM: "forewarn: lifecycle events, impact, notices, reports, dead letters, give-up advisories",
    subjects.TIMER_STREAM: "forewarn: the scheduler's start and end timers",
    subjects.REMINDER_STREAM: "forewarn: the notifier's reminder timers",
    subjects.DRIFT_STREAM: "forewarn: the impact resolver's drift checks",
    subjects.WEBHOOK_STREAM: "forewarn: the notifier's webhook deliveries, each until it is done",
}


def stream(name: str = subjects.STREAM) -> JStream:
    """A stream a subscriber reads from; the scheduler declares every stream (declare_streams)."""
    return JStream(name, declare=False)


# A stream holds at most this many messages, and FOREWARN_STREAM_MAX_BYTES: a year of a busy
# operator's work is about a million messages and 62 MiB in MAINT (bench/history.py).
MAX_MSGS = 20_000_000
DEFAULT_MAX_BYTES = 1024**3


def stream_configs(
    *, replicas: int = 1, max_bytes: int = DEFAULT_MAX_BYTES, front: bool = False
) -> list[StreamConfig]:
    """Every stream's configuration, the view last: it mirrors MAINT, which must exist first.

    `front`: the view is the front account's, mirroring MAINT across accounts.

    Each has limits, so a runaway (a bug, or a login's consumer delivering onto a
    subject a stream captures) stops at them and not at a full disk. A full stream
    refuses new messages (discard new): what it holds stays, and each publisher's
    retries and logs say so until an operator makes room. A timer stream (which
    JetStream's schedules require to discard old) is written by its owner alone.
    """
    limits = {"max_msgs": MAX_MSGS, "max_bytes": max_bytes}
    timers = (subjects.TIMER_STREAM, subjects.REMINDER_STREAM, subjects.DRIFT_STREAM)
    configs = [
        StreamConfig(
            name=name,
            description=DESCRIPTIONS[name],
            subjects=list(patterns),
            storage=StorageType.FILE,
            num_replicas=replicas,
            duplicate_window=DUPLICATE_WINDOW_S,
            # Only a timer stream takes schedules: a schedule can fire onto any
            # subject of its stream, so those streams hold only their owner's.
            allow_msg_schedules=name in timers or None,
            # Impact, notice outcomes, inventory changes and fired timers carry a
            # Nats-TTL (see retention.py); commands and lifecycle events none.
            allow_msg_ttl=True,
            # JetStream's schedules need discard old; only their owner writes a timer stream.
            discard=DiscardPolicy.OLD if name in timers else DiscardPolicy.NEW,
            **limits,
        )
        for name, patterns in subjects.STREAM_SUBJECTS.items()
    ]
    view = StreamConfig(
        name=subjects.VIEW_STREAM,
        description="forewarn: a read-only mirror of MAINT for the status page and the CLI",
        mirror=StreamSource(
            name=subjects.STREAM,
            external=ExternalStream(api=SERVICES_API, deliver=VIEW_DELIVERY) if front else None,
        ),
        # The mirror keeps each message's Nats-TTL only if it is allowed to.
        allow_msg_ttl=True,
        storage=StorageType.FILE,
        num_replicas=replicas,
        **limits,
    )
    return [*configs, view]


async def declare_streams(
    js: JetStreamContext,
    view: JetStreamContext | None = None,
    *,
    replicas: int = 1,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> None:
    """Create every stream, or bring an existing one to this configuration.

    `view`: where the view lives (jetstream.view_context), when not with the rest.
    """
    front = view is not None and view is not js
    for config in stream_configs(replicas=replicas, max_bytes=max_bytes, front=front):
        where = view if front and config.name == subjects.VIEW_STREAM else js
        try:
            try:
                await where.add_stream(config)
            except BadRequestError as exc:
                if exc.err_code != STREAM_NAME_IN_USE:
                    raise
                await where.update_stream(config)
        except APIError as refused:
            why = refused.description or ""
            hint = (
                f"A {config.name} made by an earlier forewarn took message schedules, which JetStream "
                "cannot turn off: see 'Upgrading' in the docs (Deploying: Production)"
                if "schedul" in why
                else "If the server lacks room for every stream's limit, lower FOREWARN_STREAM_MAX_BYTES"
            )
            raise StartupError(
                f"stream {config.name} cannot take this version's configuration: {why}. {hint}"
            ) from None


def durable(name: str, stream_name: str, *, workers: int = 1, **config: Any) -> dict[str, Any]:
    """Subscriber arguments for a durable pull consumer with explicit acks.

    A handler that raises is negatively acknowledged with a back-off (see
    reliability.py), so a crash or an error means redelivery, never a drop.
    """
    consumer = ConsumerConfig(
        durable_name=name,
        ack_policy=ServerAckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        max_deliver=MAX_DELIVER,
        ack_wait=ACK_WAIT_S,
        **config,
    )
    extra: dict[str, Any] = {"max_workers": workers} if workers > 1 else {}
    return {
        "stream": stream(stream_name),
        "durable": name,
        "config": consumer,
        # nats-py's fetch waits for a full batch (or the timeout): a batch of
        # one per worker keeps the latency of a lone message near zero.
        "pull_sub": PullSub(batch_size=max(workers, 1), timeout=2.0),
        # None: the connection's own inbox prefix (each login's, which only it may read);
        # FastStream's default would be the shared _INBOX.
        "inbox_prefix": None,
        "ack_policy": AckPolicy.NACK_ON_ERROR,
        **extra,
    }
