"""The one stream, and the consumer settings every service shares."""

from __future__ import annotations

from typing import Any

from faststream import AckPolicy
from faststream.nats import ConsumerConfig, DeliverPolicy, JStream, PullSub, StorageType
from nats.js.api import AckPolicy as ServerAckPolicy

from forewarn.schemas import subjects

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


def maintenance_stream(*, replicas: int = 1, declare: bool) -> JStream:
    """The stream holding every maintenance subject.

    Only the scheduler passes declare=True: one owner, so two services can
    never fight over the stream's configuration.
    """
    return JStream(
        subjects.STREAM,
        description="forewarn: commands, lifecycle events, timers, dead letters and give-up advisories",
        subjects=[subjects.ALL, subjects.MAX_DELIVERIES],
        storage=StorageType.FILE,
        num_replicas=replicas,
        duplicate_window=DUPLICATE_WINDOW_S,
        allow_msg_schedules=True,
        declare=declare,
    )


def durable(name: str, stream: JStream, *, workers: int = 1, **config: Any) -> dict[str, Any]:
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
        "stream": stream,
        "durable": name,
        "config": consumer,
        # nats-py's fetch waits for a full batch (or the timeout): a batch of
        # one per worker keeps the latency of a lone message near zero.
        "pull_sub": PullSub(batch_size=max(workers, 1), timeout=2.0),
        "ack_policy": AckPolicy.NACK_ON_ERROR,
        **extra,
    }
