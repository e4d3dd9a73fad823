"""`forewarn run inventory`: OpenStack clouds' rows kept current, by full syncs and Nova's notifications.

A full sync runs at start and then every FOREWARN_OPENSTACK_SYNC_INTERVAL. In
between, each cloud's versioned notifications arrive on a durable RabbitMQ
queue of forewarn's own, so none is missed while forewarn restarts; a server
created, deleted or moved is in the store within a second. Every change is
published as InventoryChanged.

The interval is a plain loop, not a durable timer: a sync that a stopped
service missed has nothing to catch up on, since the first thing it does when
it starts again is sync.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from contextlib import suppress
from typing import Any

from faststream import AckPolicy
from faststream.nats import NatsBroker
from faststream.rabbit import Channel, RabbitBroker, RabbitQueue
from faststream.rabbit.annotations import RabbitMessage
from sqlalchemy import Engine

from forewarn.schemas.windows import WindowView

from ..platform.config import StartupError, redact
from ..platform.group_commit import GroupCommit
from ..platform.metrics import Metrics
from ..platform.registry import Service
from . import follow, holds, notifications, tell
from .cloud import CloudError, cloud_name, connect, sync_cloud
from .openstack import source_of
from .settings import InventorySettings
from .tell import NOVA_EXCHANGE, ROUTING_KEY

log = logging.getLogger("forewarn.inventory")

# One notification unacknowledged at a time. aio-pika hands each delivery to a task of
# its own, and with more than one in flight they reach the handler out of order (a
# server's delete before its create); one at a time, they come in Nova's order.
PREFETCH = 1


# A notification and the key its InventoryChanged is published under.
Heard = tuple[notifications.ServerMoved, str]


def queue_name(cloud: str) -> str:
    """forewarn's own durable queue for one cloud's notifications."""
    return f"forewarn-inventory.{cloud}"


class InventoryService(Service):
    """Holds the inventory's resources: the store, the NATS broker, one RabbitMQ broker per cloud."""

    def __init__(
        self,
        settings: InventorySettings,
        engine: Engine,
        broker: NatsBroker,
        *,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.broker = broker
        self.metrics = metrics
        self.clouds: list[str | None] = list(settings.clouds) or [None]
        self.conventions = settings.conventions()
        try:
            self.urls = settings.notification_urls(self.clouds)
        except ValueError as exc:
            raise StartupError(str(exc)) from None
        self.rabbits: dict[str, RabbitBroker] = {}
        self.connections: dict[str, Any] = {}
        self._tasks: list[asyncio.Task] = []
        # Whether each cloud's notification bus is connected, and why its last sync failed:
        # what /health and /metrics tell.
        self.listening: dict[str, bool] = {}
        self.sync_failed: dict[str, str] = {}
        # Notifications heard while a cloud's sync runs, per cloud: the sync's snapshot
        # may be older than they are, so they are applied again once it is written.
        self._heard: dict[str, list[notifications.ServerMoved]] = {}
        # Per cloud: notifications, and those heard during a sync applied again, in one order.
        self._batches: dict[str, GroupCommit[Heard]] = {}
        if metrics is not None:
            metrics.troubles.append(self.troubles)

    def name(self, cloud: str | None) -> str:
        return cloud_name(cloud)

    async def troubles(self) -> dict[str, str]:
        """What is wrong with the clouds now, for /health: a failed sync, a bus that does not answer."""
        found = {f"openstack:{name}": f"last sync failed: {why}" for name, why in self.sync_failed.items()}
        for name, rabbit in self.rabbits.items():
            if self.listening.get(name):
                # Connected once: the client reconnects by itself, so ask whether it is there now.
                self._listening(name, await rabbit.ping(timeout=1))
        for name, up in self.listening.items():
            if not up:
                found[f"openstack:{name}:notifications"] = "notification bus unreachable; full syncs only"
        return found

    def _listening(self, name: str, up: bool) -> None:
        self.listening[name] = up
        if self.metrics is not None:
            self.metrics.notification_bus.labels(name).set(1 if up else 0)

    async def start(self) -> None:
        """Sync each cloud now, then on the interval; listen to each cloud's notifications."""
        for cloud in self.clouds:
            self._tasks.append(asyncio.create_task(self._sync_every(cloud), name=f"sync {self.name(cloud)}"))
        for cloud, url in self.urls.items():
            rabbit = self._rabbit(cloud, url)
            self.rabbits[self.name(cloud)] = rabbit
            self._listening(self.name(cloud), False)
            self._tasks.append(asyncio.create_task(self._listen(cloud, rabbit, url), name=f"listen {cloud}"))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError, Exception):
                await task
        for batches in self._batches.values():
            await batches.close()
        for rabbit in self.rabbits.values():
            with suppress(Exception):
                await rabbit.stop()
        for conn in self.connections.values():
            conn.close()

    # Hosts under maintenance (FOREWARN_OPENSTACK_DISABLE_HOSTS).

    def _connection(self, name: str) -> Any:
        """A connection to one cloud, by the name its rows carry, made once."""
        if name not in self.connections:
            cloud = next((c for c in self.clouds if self.name(c) == name), name)
            self.connections[name] = connect(cloud)
        return self.connections[name]

    async def on_started(self, window: WindowView) -> None:
        """Disable the window's OpenStack hosts' compute services, naming the window."""
        if not self.settings.openstack_disable_hosts:
            return
        for cloud, hosts in (await asyncio.to_thread(holds.clouds_of, self.engine, window.hosts)).items():
            conn = await asyncio.to_thread(self._connection, cloud)
            done = await asyncio.to_thread(holds.hold, conn, self.engine, window, hosts)
            ours = [h.host for h in done if h.ours]
            log.info(
                "%s: compute services disabled on %s; left as they were on %s",
                window.id,
                ", ".join(ours) or "no host",
                ", ".join(h.host for h in done if not h.ours) or "no host",
            )

    async def on_ended(self, window: WindowView) -> None:
        """Enable again what this window disabled (a hold on no host, or a window never started: nothing)."""
        if not self.settings.openstack_disable_hosts:
            return
        for cloud, hosts in (await asyncio.to_thread(holds.clouds_of, self.engine, window.hosts)).items():
            conn = await asyncio.to_thread(self._connection, cloud)
            enabled = await asyncio.to_thread(holds.release, conn, self.engine, window.id, hosts)
            if enabled:
                log.info("%s: compute services enabled again on %s", window.id, ", ".join(enabled))

    # Full syncs.

    async def _sync_every(self, cloud: str | None) -> None:
        interval = self.settings.openstack_sync_interval.total_seconds()
        while True:
            await self.sync_once(cloud)
            await asyncio.sleep(interval)

    async def sync_once(self, cloud: str | None) -> None:
        """One full sync; a cloud that cannot be read is logged, and the next interval tries again."""
        name = self.name(cloud)
        self._heard[name] = []
        try:
            result = await asyncio.to_thread(sync_cloud, self.engine, cloud, self.conventions)
        except CloudError as exc:
            self._heard.pop(name, None)
            self.sync_failed[name] = str(exc)
            log.error(
                "inventory sync of %s failed: %s; the store keeps the last sync, next try in %s",
                name,
                exc,
                self.settings.openstack_sync_interval,
            )
            return
        self.sync_failed.pop(name, None)
        if self.metrics is not None:
            self.metrics.last_sync.labels(name).set_to_current_time()
        for warning in result.warnings:
            log.warning("inventory sync of %s: %s", name, warning)
        servers = [c for c in result.changes if c.section == "resources"]
        log.info("inventory sync of %s: %d change(s), %d of servers", name, len(result.changes), len(servers))
        run = uuid.uuid4().hex
        if servers:
            await tell.servers_changed(
                self.broker, self.settings, source_of(name), "sync", run, servers, result.hosts
            )
        # A server deleted while the sync read the cloud would otherwise come back from its snapshot.
        heard = self._heard.pop(name, [])
        if heard:
            await self._follower(name).submit([(moved, f"{moved.message_id}.after.{run}") for moved in heard])

    # Notifications.

    def _rabbit(self, cloud: str | None, url: str) -> RabbitBroker:
        rabbit = RabbitBroker(url, logger=log, default_channel=Channel(prefetch_count=PREFETCH))
        queue = RabbitQueue(queue_name(self.name(cloud)), durable=True, routing_key=ROUTING_KEY)

        @rabbit.subscriber(queue, NOVA_EXCHANGE, ack_policy=AckPolicy.NACK_ON_ERROR)
        async def follow_nova(message: RabbitMessage) -> None:
            # The raw body: read() takes the oslo envelope as Nova sent it.
            await self.on_notification(cloud, message.body)

        return rabbit

    async def _listen(self, cloud: str | None, rabbit: RabbitBroker, url: str) -> None:
        """Connect to the cloud's bus, and again whenever it cannot be reached; syncs go on meanwhile."""
        name = self.name(cloud)
        while True:
            try:
                await rabbit.start()
            except Exception as exc:  # aio-pika raises many kinds; all mean "not now"
                self._listening(name, False)
                log.warning(
                    "cannot reach the notification bus of %s at %s (%s: %s); syncs go on, next try in 5s",
                    name,
                    redact(url),
                    type(exc).__name__,
                    exc,
                )
                await asyncio.sleep(5)
                continue
            self._listening(name, True)
            log.info("listening to %s's notifications on queue %s", name, queue_name(name))
            return

    async def on_notification(self, cloud: str | None, body: bytes) -> None:
        """Apply one notification; returns once it is written."""
        name = self.name(cloud)
        try:
            moved = notifications.read(body)
        except notifications.NotANotification as exc:
            await tell.dead_letter(self.broker, self.settings, name, body, str(exc))
            return
        if moved is None:
            return
        if name in self._heard:
            self._heard[name].append(moved)
        await self._follower(name).submit([(moved, moved.message_id)])

    def _follower(self, name: str) -> GroupCommit[Heard]:
        if name not in self._batches:
            source = source_of(name)
            self._batches[name] = GroupCommit(lambda heard: self._follow(source, heard))
        return self._batches[name]

    async def _follow(self, source: str, heard: list[Heard]) -> None:
        """Publish what the notifications change, then write it: a redelivery finds it again."""
        moves = [moved for moved, _ in heard]
        planned = await asyncio.to_thread(follow.apply, self.engine, source, moves, write=False)
        publishing = []
        for (moved, key), applied in zip(heard, planned, strict=True):
            if applied.skipped:
                log.info("%s: %s", moved.event_type, applied.skipped)
            elif applied.changes:
                publishing.append(
                    tell.servers_changed(
                        self.broker,
                        self.settings,
                        source,
                        "notification",
                        key,
                        applied.changes,
                        applied.hosts,
                        event_type=moved.event_type,
                    )
                )
        if publishing:
            await asyncio.gather(*publishing)
            await asyncio.to_thread(follow.apply, self.engine, source, moves)
