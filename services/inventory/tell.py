"""What the inventory tells the bus: the servers a sync or a notification changed
(InventoryChanged), and a message on Nova's topic that is no notification (a dead letter)."""

from __future__ import annotations

import logging
import uuid

from faststream.nats import NatsBroker
from faststream.rabbit import ExchangeType, RabbitExchange

from forewarn.schemas import msgids, subjects
from forewarn.schemas.deadletters import DeadLettered
from forewarn.schemas.inventory import InventoryChanged, ServerChange

from ..bus.publish import Outgoing, publish
from ..bus.reliability import PAYLOAD_KEEP
from .settings import InventorySettings
from .sync import Change

log = logging.getLogger("forewarn.inventory")

# Nova's notifications exchange, declared as Nova declares it (topic, not durable):
# declaring it otherwise would be refused by the broker.
NOVA_EXCHANGE = RabbitExchange("nova", type=ExchangeType.TOPIC, durable=False)
ROUTING_KEY = "versioned_notifications.*"


async def servers_changed(
    broker: NatsBroker,
    settings: InventorySettings,
    source: str,
    cause: str,
    key: str,
    changes: list[Change],
    hosts: list[str],
    *,
    event_type: str = "",
) -> None:
    """InventoryChanged for what one sync or notification changed, keyed so a redelivery is one."""
    event = InventoryChanged(
        source=source,
        cause=cause,
        event_type=event_type,
        hosts=hosts,
        changes=[ServerChange(id=c.key, change=c.kind, detail=c.detail) for c in changes],
    )
    out = Outgoing(
        subjects.INVENTORY_CHANGED,
        msgids.inventory(source, key),
        event.model_dump_json().encode(),
        ttl=settings.retention,
    )
    await publish(broker, out, timeout=settings.publish_timeout)


async def dead_letter(
    broker: NatsBroker, settings: InventorySettings, cloud: str, body: bytes, reason: str
) -> None:
    """A message on Nova's topic that is not a notification: kept with its reason, never retried."""
    consumer = f"inventory-{cloud}"
    key = f"nova.{uuid.uuid5(uuid.NAMESPACE_URL, body.hex()).hex}"
    letter = DeadLettered(
        id=key,
        subject=f"rabbitmq:{NOVA_EXCHANGE.name}/{ROUTING_KEY}",
        consumer=consumer,
        reason=reason,
        payload=body[:PAYLOAD_KEEP].decode("utf-8", errors="replace"),
    )
    log.warning("dead-lettered a message from %s's notification bus: %s", cloud, reason)
    out = Outgoing(subjects.dead_letter(consumer), f"dlq.{key}", letter.model_dump_json().encode())
    await publish(broker, out, timeout=settings.publish_timeout)
