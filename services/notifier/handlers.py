"""The notifier's subscribers."""

from __future__ import annotations

from collections.abc import Callable

from faststream.nats import NatsMessage, NatsRouter

from forewarn.schemas import subjects
from forewarn.schemas.impact import ImpactResolved
from forewarn.schemas.timers import ReminderDue, WebhookDue

from ..bus.stream import durable
from .service import Notifier


def notifier_router(get: Callable[[], Notifier], *, workers: int = 1) -> NatsRouter:
    """Subscribers that turn resolved impact into notices."""
    router = NatsRouter()

    @router.subscriber(subjects.IMPACT_RESOLVED, **durable("notifier", subjects.STREAM, workers=workers))
    async def notify_affected_tenants(impact: ImpactResolved, msg: NatsMessage) -> None:
        await get().notify(impact, msg)

    @router.subscriber(
        subjects.REMINDERS, **durable("notifier-reminders", subjects.REMINDER_STREAM, workers=workers)
    )
    async def remind_affected_tenants(due: ReminderDue) -> None:
        await get().remind(due)

    @router.subscriber(
        subjects.WEBHOOKS, **durable("notifier-webhooks", subjects.WEBHOOK_STREAM, workers=workers)
    )
    async def deliver_webhooks(due: WebhookDue, msg: NatsMessage) -> None:
        await get().webhooks.deliver(due, attempt=msg.raw_message.metadata.num_delivered)

    return router
