"""The notifier: for each resolved impact, one notice to each contact of each tenant."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import replace
from functools import partial
from typing import Any, TypeVar

from faststream.nats import NatsBroker, NatsMessage, Schedule
from nats.js.errors import NotFoundError
from sqlalchemy import Engine

from forewarn.schemas import subjects
from forewarn.schemas.base import utcnow
from forewarn.schemas.events import (
    ImpactCause,
    ImpactResolved,
    NoticeDelivered,
    NoticeFailed,
    ReminderDue,
    WindowView,
)

from ..bus.publish import Outgoing, publish
from ..logs import about
from ..ops import Metrics
from . import ledger
from .compose import Composer, Notice, NoticeKind, notice_id
from .mailer import Mailer, Permanent
from .settings import NotifierSettings

log = logging.getLogger("forewarn.notifier")

KIND_OF: dict[ImpactCause, NoticeKind] = {
    ImpactCause.SCHEDULED: "scheduled",
    ImpactCause.RESCHEDULED: "updated",
    ImpactCause.EXTENDED: "updated",
    ImpactCause.CANCELLED: "cancelled",
    ImpactCause.STARTED: "started",
    ImpactCause.COMPLETED: "completed",
}
# Changes to the plan move or clear the reminders; the work starting or ending does not.
PLAN_CHANGES = {ImpactCause.SCHEDULED, ImpactCause.RESCHEDULED, ImpactCause.EXTENDED, ImpactCause.CANCELLED}
T = TypeVar("T")


class Notifier:
    """Holds the notifier's resources; built once at start-up."""

    def __init__(
        self,
        settings: NotifierSettings,
        engine: Engine,
        broker: NatsBroker,
        *,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics or Metrics()
        self.engine = engine
        self.broker = broker
        self.composer = Composer(
            settings.templates_dir, provider=settings.provider, mail_from=settings.mail_from
        )
        self.mailer = Mailer(settings)
        # Compose just in time: a fan-out to thousands holds only this many mails in memory.
        self._in_flight = asyncio.Semaphore(2 * settings.smtp_concurrency)
        # SQLite takes one writer at a time, and a writer that finds the lock taken
        # sleeps for milliseconds: one thread for its ledger writes keeps them queued
        # instead. PostgreSQL takes concurrent writers.
        writers = 1 if engine.dialect.name == "sqlite" else 4
        self._ledger = ThreadPoolExecutor(max_workers=writers, thread_name_prefix="ledger")

    async def _in_ledger(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._ledger, partial(func, *args, **kwargs))

    def kind_for(self, cause: ImpactCause) -> NoticeKind | None:
        """The notice this service sends for a change, if any."""
        if cause is ImpactCause.COMPLETED:
            return None  # the reporter tells tenants, with their part of the report
        if cause is ImpactCause.STARTED and not self.settings.notify_started:
            return None
        return KIND_OF[cause]

    async def notify(self, impact: ImpactResolved, msg: NatsMessage | None = None) -> None:
        """Send every notice of this impact that the ledger has not seen through; set its reminders."""
        with about(window_id=impact.window.id):
            await self._notify(impact, msg)

    async def _notify(self, impact: ImpactResolved, msg: NatsMessage | None) -> None:
        kind = self.kind_for(impact.cause)
        if kind is not None:
            await self.fan_out(impact, kind)
        if msg is not None and impact.cause in PLAN_CHANGES and not await self._superseded(impact.window):
            await self._set_reminders(impact, msg.raw_message.metadata.sequence.stream)

    async def remind(self, due: ReminderDue) -> None:
        """A reminder timer fired: remind every contact of the impact it points at."""
        js = self.broker.config.connection_state.stream
        stored = await js.get_msg(subjects.STREAM, due.impact_seq)
        impact = ImpactResolved.model_validate_json(stored.data)
        if impact.window.revision != due.revision or await self._superseded(impact.window):
            return  # the window changed since; its new revision set its own reminders
        with about(window_id=due.window_id):
            await self.fan_out(impact, "reminder", lead=int(due.lead.total_seconds()))

    async def _superseded(self, window: WindowView) -> bool:
        """Whether the window has a newer revision than this one.

        Notifiers handle parts at once, so an older revision can finish after a newer
        one: it must not replace the newer revision's reminders.
        """
        current = await self._in_ledger(ledger.current_revision, self.engine, window.id)
        return current is not None and current > window.revision

    async def _set_reminders(self, impact: ImpactResolved, seq: int) -> None:
        """One timer per lead time, replacing any earlier one; none once cancelled."""
        window = impact.window
        js = self.broker.config.connection_state.stream
        # Each part keeps its own timers; a cancellation clears them all.
        cancelled = impact.cause is ImpactCause.CANCELLED
        with suppress(NotFoundError):
            await js.purge_stream(
                subjects.REMINDER_STREAM,
                subject=subjects.reminder_timers(window.id, None if cancelled else impact.part),
            )
        if cancelled:
            return
        for lead in self.settings.reminders:
            at = window.start - lead
            if at <= utcnow():
                continue  # booked inside this lead: the invitation itself is the reminder
            lead_s = int(lead.total_seconds())
            body = ReminderDue(window_id=window.id, revision=window.revision, lead=lead, impact_seq=seq)
            out = Outgoing(
                subjects.reminder_timer(window.id, lead_s, impact.part),
                f"remind.{window.id}.r{window.revision}.{lead_s}.p{impact.part}",
                body.model_dump_json().encode(),
            )
            due_at = at.replace(microsecond=0)
            await publish(
                self.broker,
                out,
                timeout=self.settings.publish_timeout,
                schedule=Schedule(due_at, subjects.reminder_due(window.id, lead_s, impact.part)),
            )

    async def fan_out(
        self,
        impact: ImpactResolved,
        kind: NoticeKind,
        *,
        lead: int | None = None,
    ) -> None:
        """One notice of this kind to every contact of every tenant in this impact, each at most once."""
        results = await asyncio.gather(
            *(
                self._notify_one(
                    Notice(kind=kind, window=impact.window, tenant=tenant, contact=contact, lead=lead)
                )
                for tenant in impact.tenants
                for contact in tenant.contacts
            ),
            return_exceptions=True,
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            # Sent notices are in the ledger: the redelivery sends only the rest.
            raise errors[0]

    async def _notify_one(self, notice: Notice) -> None:
        async with self._in_flight:
            with about(tenant_id=notice.tenant.tenant_id):
                await self._notify_one_now(notice)

    async def _notify_one_now(self, notice: Notice) -> None:
        record, previous_start = await self._in_ledger(ledger.claim_safely, self.engine, notice)
        if record.state in ("sent", "failed"):
            # Seen through before a crash or by another notifier: only its outcome event may be missing.
            self.metrics.notices.labels(notice.kind, "already_" + record.state).inc()
            await self._publish_outcome(notice, record.state, record.message_id, record.reply)
            return
        notice = replace(notice, previous_start=previous_start)
        message = self.composer.compose(notice, stamp=utcnow())
        started = time.perf_counter()
        outcome = "error"
        try:
            reply = await self.mailer.send(message)
            state = outcome = "sent"
        except Permanent as refused:
            reply, state = str(refused), "failed"
            outcome = "refused"
            log.warning("notice %s refused for good: %s", record.id, reply)
        finally:
            self.metrics.smtp_seconds.labels(outcome).observe(time.perf_counter() - started)
        await self._in_ledger(
            ledger.finish, self.engine, record.id, state=state, message_id=message["Message-ID"], reply=reply
        )
        self.metrics.notices.labels(notice.kind, state).inc()
        await self._publish_outcome(notice, state, message["Message-ID"], reply)

    async def _publish_outcome(self, notice: Notice, state: str, message_id: str, reply: str) -> None:
        key = notice_id(notice)
        fields = dict(
            notice_id=key,
            window_id=notice.window.id,
            tenant_id=notice.tenant.tenant_id,
            contact=notice.contact.email,
            kind=notice.kind,
            sequence=notice.window.revision,
            message_id=message_id,
        )
        event = NoticeDelivered(**fields) if state == "sent" else NoticeFailed(**fields, reason=reply)
        subject = subjects.NOTICE_DELIVERED if state == "sent" else subjects.NOTICE_FAILED
        out = Outgoing(subject, f"notice.{key}", event.model_dump_json().encode())
        await publish(self.broker, out, timeout=self.settings.publish_timeout)

    async def close(self) -> None:
        await self.mailer.close()
        self._ledger.shutdown(wait=True)
