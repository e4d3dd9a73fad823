"""Webhook endpoints and their deliveries, in the store.

An endpoint's secret signs every delivery; it is stored sealed (sealing.py),
so these functions take and give the sealed text, and the secret in clear only
where it is made. After a rotation the previous secret signs too until its time
runs out, so a receiver can switch without missing one.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, Session, SQLModel, select

from forewarn.schemas import msgids, subjects
from forewarn.schemas.base import utcnow
from forewarn.schemas.timers import WebhookDue

from ..bus.publish import Outgoing
from ..platform.db import UtcDateTime

# The events a webhook can ask for, as its CloudEvents type ends.
EVENTS = (
    "scheduled",
    "rescheduled",
    "extended",
    "cancelled",
    "started",
    "completed",
    "joined",
    "left",
    # A rolling window: the work on the tenant's hosts is done; its slot moved.
    "cleared",
    "slot-moved",
)


class WebhookEndpoint(SQLModel, table=True):
    """A tenant's receiver for the events it asked for."""

    __tablename__ = "webhook_endpoint"

    id: str = Field(primary_key=True, max_length=32)
    tenant_id: str = Field(index=True, max_length=64)
    url: str = Field(sa_column=Column(Text, nullable=False))
    events: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Sealed: "fernet:" and a Fernet token (sealing.py); clear in a store of an earlier release.
    secret: str = Field(sa_column=Column(Text, nullable=False))
    previous_secret: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    previous_until: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    disabled_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    disabled_reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))

    def signing_secrets(self, now: datetime) -> list[str]:
        """The sealed secrets a delivery is signed with now: the current, and the previous while it lasts."""
        keep = self.previous_secret and self.previous_until and now < self.previous_until
        return [self.secret, self.previous_secret] if keep else [self.secret]


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint, and how its attempts went; its id is the webhook-id header."""

    __tablename__ = "webhook_delivery"

    id: str = Field(primary_key=True, max_length=40)
    endpoint_id: str = Field(index=True, max_length=32)
    tenant_id: str = Field(index=True, max_length=64)
    event: str = Field(max_length=16)
    body: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(default="pending", max_length=16, description="pending, delivered, failed or skipped")
    attempts: int = 0
    last_status: int | None = None
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


def new_secret() -> str:
    """A Standard Webhooks secret: whsec_ and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def add_endpoint(
    session: Session, tenant_id: str, url: str, events: list[str], seal: Callable[[str], str]
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint, its secret stored sealed; returns it and the secret in clear, to show once."""
    secret = new_secret()
    endpoint = WebhookEndpoint(
        id="ep_" + secrets.token_hex(8), tenant_id=tenant_id, url=url, events=events, secret=seal(secret)
    )
    session.add(endpoint)
    return endpoint, secret


def rotate(
    session: Session, endpoint: WebhookEndpoint, overlap: timedelta, now: datetime, seal: Callable[[str], str]
) -> str:
    """A new secret, stored sealed and returned in clear; the old one signs beside it for `overlap`."""
    secret = new_secret()
    endpoint.previous_secret, endpoint.previous_until = endpoint.secret, now + overlap
    endpoint.secret = seal(secret)
    session.add(endpoint)
    return secret


def listening(session: Session, tenant_ids: list[str]) -> list[WebhookEndpoint]:
    """The enabled endpoints of these tenants."""
    if not tenant_ids:
        return []
    return list(
        session.exec(
            select(WebhookEndpoint).where(
                WebhookEndpoint.tenant_id.in_(tenant_ids), WebhookEndpoint.disabled_at.is_(None)
            )
        )
    )


def pending(session: Session, delivery: WebhookDelivery) -> None:
    """Record a delivery about to be queued, unless it already is."""
    if session.get(WebhookDelivery, delivery.id) is None:
        session.add(delivery)


def attempted(session: Session, delivery_id: str, state: str, status: int | None, error: str) -> None:
    """Record one attempt's outcome."""
    row = session.get(WebhookDelivery, delivery_id)
    if row is None:
        return
    row.state, row.last_status, row.last_error = state, status, error[:2000]
    row.attempts += 1
    row.updated_at = utcnow()
    session.add(row)


def queued(delivery: WebhookDelivery, retention: timedelta, *, replay: int = 0) -> Outgoing:
    """The message that queues a delivery for its endpoint: the notifier's first, or an operator's replay."""
    due = WebhookDue(
        delivery_id=delivery.id,
        endpoint_id=delivery.endpoint_id,
        tenant_id=delivery.tenant_id,
        event=delivery.event,
        body=delivery.body,
    )
    return Outgoing(
        subjects.webhook(delivery.endpoint_id),
        msgids.webhook(delivery.id, replay),
        due.model_dump_json().encode(),
        ttl=retention,
    )
