"""The inventory's facts: servers that appeared, went or moved in a cloud."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Line, Payload, UtcTime, utcnow


class ServerChange(Payload):
    """One server the cloud created, deleted or moved, as the store now holds it."""

    id: Line
    change: Literal["added", "changed", "moved", "removed"]
    detail: Line = Field(default="", examples=["cmp-01 → cmp-03"])


class InventoryChanged(Payload):
    """Servers appeared, went or moved in a cloud's inventory: a notification or a sync said so."""

    type: Literal["InventoryChanged"] = "InventoryChanged"
    source: Line = Field(examples=["openstack:sto"])
    cause: Literal["notification", "sync"]
    event_type: Line = Field(default="", description="Nova's event, for a notification.")
    hosts: list[Line] = Field(description="Hosts whose servers changed: where they were and where they are.")
    changes: list[ServerChange] = Field(min_length=1)
    occurred_at: UtcTime = Field(default_factory=utcnow)
