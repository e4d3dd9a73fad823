"""Sending one kind of notice to every contact of an impact, each at most once.

The notifier sends the changes to the plan and the reminders; the reporter the
completions. Both hold a NoticeSender of their own: the same ledger, templates
and kind of mail pool, so a notice is sent once whoever sends it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial
from typing import Any, TypeVar

from faststream.nats import NatsBroker
from sqlalchemy import Engine

from forewarn.schemas import msgids, subjects
from forewarn.schemas.base import utcnow
from forewarn.schemas.impact import ImpactResolved, TenantImpact
from forewarn.schemas.notices import NoticeDelivered, NoticeFailed

from ..answers.links import AnswerLinks
from ..bus.publish import Outgoing, publish
from ..bus.retention import past_window
from ..platform.group_commit import GroupCommit
from ..platform.logs import about
from ..platform.metrics import Metrics
from . import ledger
from .compose import Composer
from .mailer import Mailer, Permanent
from .notice import Notice, NoticeKind, notice_id
from .settings import MailSettings

log = logging.getLogger("forewarn.mail")
T = TypeVar("T")
# Notices claimed in one ledger transaction: few enough that the first mail leaves at once.
CLAIM_BATCH = 200


class NoticeSender:
    """Holds a composer, a mail pool and the ledger's writer threads; built once at start-up."""

    def __init__(
        self,
        settings: MailSettings,
        engine: Engine,
        broker: NatsBroker,
        *,
        metrics: Metrics | None = None,
        answers: AnswerLinks | None = None,
        rsvp: bool = False,
        status_url: str | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics or Metrics()
        self.engine = engine
        self.broker = broker
        self.composer = Composer(
            settings.templates_dir,
            provider=settings.provider,
            mail_from=settings.mail_from,
            answers=answers,
            rsvp=rsvp,
            status_url=status_url,
        )
        self.mailer = Mailer(settings)
        # Compose just in time: a fan-out to thousands holds only this many mails in memory.
        self._in_flight = asyncio.Semaphore(2 * settings.smtp_concurrency)
        # SQLite takes one writer at a time, and a writer that finds the lock taken
        # sleeps for milliseconds: one thread for its ledger writes keeps them queued
        # instead. PostgreSQL takes concurrent writers.
        writers = 1 if engine.dialect.name == "sqlite" else 4
        self._ledger = ThreadPoolExecutor(max_workers=writers, thread_name_prefix="ledger")
        self._finished: GroupCommit[ledger.Outcome] = GroupCommit(
            lambda outcomes: self.in_ledger(ledger.finish, self.engine, outcomes)
        )

    async def in_ledger(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a ledger function on the ledger's own threads."""
        return await asyncio.get_running_loop().run_in_executor(self._ledger, partial(func, *args, **kwargs))

    async def fan_out(
        self,
        impact: ImpactResolved,
        kind: NoticeKind,
        *,
        lead: int | None = None,
        tenants: list[TenantImpact] | None = None,
        skip: frozenset[str] = frozenset(),
    ) -> None:
        """One notice of this kind to every contact of every tenant in this impact, each at most once.

        `tenants` names other tenants than the impact's own (a drift's leavers);
        tenants in `skip` are not told. Notices are claimed in the ledger a batch
        at a time, the next batch while the last one's mails are being sent.
        """
        drift = impact.drift or None
        every = (
            Notice(kind=kind, window=impact.window, tenant=tenant, contact=contact, lead=lead, drift=drift)
            for tenant in (impact.tenants if tenants is None else tenants)
            if tenant.tenant_id not in skip
            for contact in tenant.contacts
        )
        # One mail per ledger key: an address listed twice for a tenant is one person.
        notices = list({notice_id(n): n for n in every}.values())
        sending: set[asyncio.Task[None]] = set()
        errors: list[BaseException] = []

        def done(task: asyncio.Task[None]) -> None:
            # Here, not in the task: a task cancelled before it ran gives its slot back too.
            self._in_flight.release()
            sending.discard(task)
            if not task.cancelled() and task.exception() is not None:
                errors.append(task.exception())

        try:
            for start in range(0, len(notices), CLAIM_BATCH):
                batch = notices[start : start + CLAIM_BATCH]
                claims = await self.in_ledger(ledger.claim_safely, self.engine, batch)
                for notice, claimed in zip(batch, claims, strict=True):
                    await self._in_flight.acquire()
                    task = asyncio.create_task(self._notify_one(notice, claimed))
                    sending.add(task)
                    task.add_done_callback(done)
        finally:
            await asyncio.gather(*sending, return_exceptions=True)
        if errors:
            # Sent notices are in the ledger: the redelivery sends only the rest.
            raise errors[0]

    async def _notify_one(self, notice: Notice, claimed: ledger.Claimed) -> None:
        with about(tenant_id=notice.tenant.tenant_id):
            await self._notify_one_now(notice, claimed)

    async def _notify_one_now(self, notice: Notice, claimed: ledger.Claimed) -> None:
        record = claimed.record
        if record.state in ("sent", "failed"):
            # Seen through before a crash or by another sender: only its outcome event may be missing.
            self.metrics.notices.labels(notice.kind, "already_" + record.state).inc()
            await self._publish_outcome(notice, record.state, record.message_id, record.reply)
            return
        if claimed.previous:
            notice = replace(notice, previous_start=claimed.previous.start, previous_end=claimed.previous.end)
        message = self.composer.compose(notice, stamp=utcnow())
        started = time.perf_counter()
        outcome = "error"
        try:
            envelope = (self.settings.mail_from, [notice.contact.email])
            reply = await self.mailer.send(message, envelope=envelope)
            state = outcome = "sent"
        except Permanent as refused:
            reply, state = str(refused), "failed"
            outcome = "refused"
            log.warning("notice %s refused for good: %s", record.id, reply)
        finally:
            self.metrics.smtp_seconds.labels(outcome).observe(time.perf_counter() - started)
        # Recorded with the other mails in flight, in one transaction, before the slot is free again.
        await self._finished.submit([ledger.Outcome(record.id, state, message["Message-ID"], reply)])
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
        ttl = past_window(notice.window.end, self.settings.retention)
        out = Outgoing(subject, msgids.notice(key), event.model_dump_json().encode(), ttl=ttl)
        await publish(self.broker, out, timeout=self.settings.publish_timeout)

    async def close(self) -> None:
        await self._finished.close()
        await self.mailer.close()
        self._ledger.shutdown(wait=True)
