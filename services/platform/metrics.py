"""What an operator counts: the instruments of one process, read by /metrics."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


@dataclass
class Metrics:
    """The instruments of one process, in its own registry (a test may run several stacks)."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    # Read from the server before each scrape (the status page's lag, say).
    refreshers: list[Callable[[], Awaitable[object]]] = field(default_factory=list)
    # What a service knows is wrong beside NATS (a cloud's bus down, say): {what: why}.
    troubles: list[Callable[[], Awaitable[dict[str, str]]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        r = self.registry
        self.notices = Counter(
            "forewarn_notices", "Notices by kind and outcome", ["kind", "state"], registry=r
        )
        self.smtp_seconds = Histogram(
            "forewarn_smtp_send_seconds",
            "Time to hand one message to the SMTP server, by outcome",
            ["outcome"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=r,
        )
        self.redeliveries = Counter(
            "forewarn_redeliveries", "Messages this process received again", ["consumer"], registry=r
        )
        self.dead_letters = Counter(
            "forewarn_dead_letters", "Messages set aside as dead letters", ["consumer"], registry=r
        )
        self.pending = Gauge(
            "forewarn_consumer_pending_messages",
            "Messages in the stream a consumer has not been given yet (its lag)",
            ["consumer"],
            registry=r,
        )
        self.ack_pending = Gauge(
            "forewarn_consumer_ack_pending_messages",
            "Messages a consumer was given and has not acknowledged yet",
            ["consumer"],
            registry=r,
        )
        self.notification_bus = Gauge(
            "forewarn_openstack_notification_bus_up",
            "1 while the inventory is connected to a cloud's notification bus",
            ["cloud"],
            registry=r,
        )
        self.last_sync = Gauge(
            "forewarn_openstack_last_sync_timestamp_seconds",
            "When the inventory last synced a cloud in full, successfully",
            ["cloud"],
            registry=r,
        )
        self.redelivered = Gauge(
            "forewarn_consumer_redelivered_messages",
            "Unacknowledged messages that were delivered more than once",
            ["consumer"],
            registry=r,
        )

    async def exposition(self) -> bytes:
        """The Prometheus text of this process; a value that cannot be read now keeps its last."""
        for refresh in self.refreshers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(refresh(), timeout=2)
        return generate_latest(self.registry)
