"""Webhook deliveries: queued on JetStream for each tenant's endpoint, sent, and retried from there.

For each impact, every enabled endpoint of a tenant it tells something gets a
WebhookDue on maint.webhook.<endpoint>, with a message id derived from the
event, so a redelivered impact queues nothing twice. The notifier's durable
consumer of those sends each one: 2xx is done; 410 disables the endpoint;
anything else (3xx included, and no answer) is tried again after the next wait
of FOREWARN_WEBHOOK_RETRIES, or as long as a 429's Retry-After asks, by a
negative acknowledgement with that delay. The waits are the server's, so
they survive a restart of the notifier.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from faststream.exceptions import NackMessage
from faststream.nats import NatsBroker
from sqlalchemy import Engine

from forewarn.schemas.base import utcnow
from forewarn.schemas.impact import ImpactResolved
from forewarn.schemas.timers import WebhookDue

from ..bus.publish import publish_all
from ..platform.config import StartupError
from ..platform.db import again_on_conflict, transaction
from ..webhooks import store
from ..webhooks.events import cloud_event, delivery_id, tenant_events
from ..webhooks.sealing import NO_KEY, sealer_at_start
from ..webhooks.sign import signed_headers
from ..webhooks.targets import refusal
from .settings import NotifierSettings

log = logging.getLogger("forewarn.webhooks")
# A Retry-After longer than this is taken as this: the endpoint is not kept waiting for days.
MAX_RETRY_AFTER = timedelta(hours=10)


class WebhookSender:
    """Holds the HTTP client; built at start-up."""

    def __init__(self, settings: NotifierSettings, engine: Engine, broker: NatsBroker) -> None:
        self.settings = settings
        self.engine = engine
        self.broker = broker
        # Redirects are not followed: a 3xx is a failed attempt, as Standard Webhooks says.
        self.client = httpx.AsyncClient(follow_redirects=False, timeout=settings.webhook_timeout)
        # Refuses to start without FOREWARN_SECRET_KEY if endpoints exist; seals clear secrets.
        self.box = sealer_at_start(settings.secret_key, engine)

    async def queue(self, impact: ImpactResolved) -> None:
        """Queue this impact's events for every endpoint that asked for them."""
        told = tenant_events(impact)
        if not told:
            return
        endpoints = await asyncio.to_thread(self._listening, [t.tenant_id for _, t in told])
        rows = []
        for event, tenant in told:
            for endpoint in endpoints.get(tenant.tenant_id, []):
                if event not in endpoint.events:
                    continue
                key = delivery_id(endpoint.id, impact, event)
                body = cloud_event(impact, tenant, event, provider=self.settings.provider, id=key)
                rows.append(
                    store.WebhookDelivery(
                        id=key, endpoint_id=endpoint.id, tenant_id=tenant.tenant_id, event=event, body=body
                    )
                )
        if rows:
            # Recorded first: a delivery queued is always in the log `forewarn webhook deliveries` reads.
            await asyncio.to_thread(again_on_conflict, self._pending, rows)
            outgoing = [store.queued(row, self.settings.retention) for row in rows]
            await publish_all(self.broker, outgoing, timeout=self.settings.publish_timeout)

    async def deliver(self, due: WebhookDue, attempt: int) -> None:
        """Send one delivery; raise NackMessage to be tried again later."""
        endpoint = await asyncio.to_thread(self._endpoint, due.endpoint_id)
        if endpoint is None or endpoint.disabled_at is not None:
            await self._record(due, "skipped", None, "the endpoint was removed or disabled")
            return
        refused = await asyncio.to_thread(refusal, endpoint.url, self.settings.webhook_allow)
        if refused:
            await self._record(due, "failed", None, f"refused: {refused}")
            log.warning("webhook %s to %s refused: %s", due.delivery_id, endpoint.id, refused)
            return
        status, error, retry_after = await self._post(due, endpoint)
        if status is not None and 200 <= status < 300:
            await self._record(due, "delivered", status, "")
            return
        if status == 410:
            await asyncio.to_thread(self._disable, endpoint.id, "410 Gone from the receiver")
            await self._record(due, "failed", status, "410 Gone: the endpoint is disabled")
            log.warning("webhook endpoint %s answered 410 Gone: disabled", endpoint.id)
            return
        waits = self.settings.webhook_retries
        if attempt > len(waits):
            await self._record(due, "failed", status, error)
            log.warning("webhook %s to %s failed for good: %s", due.delivery_id, endpoint.id, error)
            return
        delay = retry_after if status == 429 and retry_after is not None else waits[attempt - 1]
        await self._record(due, "pending", status, error)
        raise NackMessage(delay=min(delay, MAX_RETRY_AFTER).total_seconds())

    async def _post(
        self, due: WebhookDue, endpoint: store.WebhookEndpoint
    ) -> tuple[int | None, str, timedelta | None]:
        """One attempt: the status, what went wrong if anything, and a 429's Retry-After."""
        now = utcnow()
        if self.box is None:
            raise StartupError(NO_KEY)  # an endpoint added since this notifier started: retried
        secrets = [self.box.open(sealed) for sealed in endpoint.signing_secrets(now)]
        headers = signed_headers(due.delivery_id, due.body, secrets, now)
        try:
            response = await self.client.post(endpoint.url, content=due.body.encode(), headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}", None
        error = "" if response.is_success else f"HTTP {response.status_code}"
        return response.status_code, error, _retry_after(response.headers.get("retry-after"), now)

    async def _record(self, due: WebhookDue, state: str, status: int | None, error: str) -> None:
        def write() -> None:
            with transaction(self.engine) as session:
                store.attempted(session, due.delivery_id, state, status, error)

        await asyncio.to_thread(write)

    def _listening(self, tenant_ids: list[str]) -> dict[str, list[store.WebhookEndpoint]]:
        with transaction(self.engine) as session:
            found: dict[str, list[store.WebhookEndpoint]] = {}
            for endpoint in store.listening(session, sorted(set(tenant_ids))):
                found.setdefault(endpoint.tenant_id, []).append(endpoint)
            return found

    def _pending(self, rows: list[store.WebhookDelivery]) -> None:
        with transaction(self.engine) as session:
            for row in rows:
                store.pending(session, row)

    def _endpoint(self, endpoint_id: str) -> store.WebhookEndpoint | None:
        with transaction(self.engine) as session:
            return session.get(store.WebhookEndpoint, endpoint_id)

    def _disable(self, endpoint_id: str, reason: str) -> None:
        with transaction(self.engine) as session:
            endpoint = session.get(store.WebhookEndpoint, endpoint_id)
            if endpoint is not None and endpoint.disabled_at is None:
                endpoint.disabled_at, endpoint.disabled_reason = utcnow(), reason

    async def close(self) -> None:
        await self.client.aclose()


def _retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A Retry-After header, in seconds or as an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return timedelta(seconds=int(value))
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(at.astimezone(UTC) - now, timedelta(0))
