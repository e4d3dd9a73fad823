"""The reporter: when a window ends, tell each tenant its part and ops the whole."""

from __future__ import annotations

import asyncio
import logging

from faststream.nats import NatsBroker
from sqlalchemy import Engine

from forewarn.schemas import msgids, subjects
from forewarn.schemas.answers import ReplyReceived
from forewarn.schemas.base import utcnow
from forewarn.schemas.commands import RecordAnswerResult
from forewarn.schemas.impact import ImpactCause, ImpactResolved
from forewarn.schemas.notices import NoticeFailure, ReportPublished

from ..answers import store as answers
from ..answers.recorded import Refusals, record_answer
from ..bus.publish import Outgoing, publish
from ..common import rolling
from ..common.text import plural
from ..mail.mailer import Permanent
from ..mail.sender import NoticeSender
from ..platform.db import again_on_conflict, transaction
from ..platform.logs import about
from ..platform.metrics import Metrics
from ..platform.registry import Service
from ..scheduler import queries
from .build import affected_tenants, build_report, failures, note_drift, take_part
from .chat import OpsChat
from .mail import compose_objection, compose_report, overrun_text
from .models import Report
from .settings import ReporterSettings

log = logging.getLogger("forewarn.reporter")

ENDINGS = {ImpactCause.COMPLETED, ImpactCause.CANCELLED}


class Reporter(Service):
    """Holds the reporter's resources; built once at start-up."""

    def __init__(
        self,
        settings: ReporterSettings,
        engine: Engine,
        broker: NatsBroker,
        *,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.broker = broker
        # Completion notices are notices like the others: the same ledger and templates,
        # sent through a mail pool of the reporter's own.
        self.sender = NoticeSender(settings, engine, broker, metrics=metrics)
        self.chat = OpsChat([url.get_secret_value() for url in settings.ops_notify], engine)
        self.refusals = Refusals()

    async def on_impact(self, impact: ImpactResolved) -> None:
        """Take in one part of an ended window's impact; publish the report once all parts are in.

        A drift before the start is noted for the report: who joined or left, and when.
        """
        if impact.cause is ImpactCause.DRIFTED:
            await asyncio.to_thread(self._note, impact)
            return
        # A series' booking is one message, with its first occurrence; each start is one.
        booked_with_series = impact.cause is ImpactCause.SCHEDULED and impact.window.told_with_its_series
        if (
            impact.part == 1
            and impact.cause in (ImpactCause.SCHEDULED, ImpactCause.STARTED)
            and not booked_with_series
        ):
            await self._chat_about(impact)
        if impact.cause not in ENDINGS:
            return
        with about(window_id=impact.window.id):
            await self._on_ending(impact)

    async def _on_ending(self, impact: ImpactResolved) -> None:
        if impact.cause is ImpactCause.COMPLETED:
            # Before the report, so that it counts these notices as sent or failed.
            # In a rolling window, a tenant whose hosts were all done was told then (the notifier's
            # all-clear): it hears no more.
            cleared = frozenset(t.tenant_id for t in impact.tenants if rolling.tenant_ran(impact.window, t))
            await self.sender.fan_out(impact, "completed", skip=cleared)
        if await asyncio.to_thread(self._take, impact):
            await self.publish(impact.window.id)

    async def _chat_about(self, impact: ImpactResolved) -> None:
        """Tell ops' chat of a booking or a start, with whom it hits."""
        w = impact.window
        what = "Booked" if impact.cause is ImpactCause.SCHEDULED else "Started"
        hits = f"{plural(impact.tenant_count, 'tenants')}, {plural(impact.resource_count, 'resources')}"
        when = f"{w.start:%Y-%m-%d %H:%M} – {w.end:%Y-%m-%d %H:%M} UTC"
        await self.chat.post(
            f"{w.id}.{impact.cause.value}.r{w.revision}",
            f"{what}: {w.title} ({w.id})",
            f"{when}, impact {w.impact.value}: {hits}.",
        )

    def _note(self, impact: ImpactResolved) -> None:
        with transaction(self.engine) as session:
            note_drift(session, impact)

    def _take(self, impact: ImpactResolved) -> bool:
        # Another part may create the report row a moment earlier: then it is there to lock.
        return again_on_conflict(self._take_once, impact)

    def _take_once(self, impact: ImpactResolved) -> bool:
        with transaction(self.engine) as session:
            return take_part(session, impact)

    async def publish(self, window_id: str) -> None:
        """Publish ReportPublished and mail ops; both are safe to repeat after a crash."""
        report, mailed = await asyncio.to_thread(self._report, window_id)
        out = Outgoing(subjects.REPORT_PUBLISHED, msgids.report(window_id), report.model_dump_json().encode())
        await publish(self.broker, out, timeout=self.settings.publish_timeout)
        log.info(
            "window %s %s: report published (%s sent, %s failed, %s pending)",
            window_id,
            report.outcome,
            report.notices.sent,
            report.notices.failed,
            report.notices.pending,
        )
        if self.settings.ops_email and not mailed:
            await self._mail_ops(window_id)
        n = report.notices
        said = await asyncio.to_thread(self._answers, window_id)
        await self.chat.post(
            f"{window_id}.report",
            f"{report.outcome.capitalize()}: {report.window.title} ({window_id})",
            f"{plural(report.tenant_count, 'tenants')} affected; notices {n.sent} sent, {n.failed} failed, "
            f"{n.pending} pending; overrun {overrun_text(report.overrun)}; {said}.",
        )

    def _answers(self, window_id: str) -> str:
        with transaction(self.engine) as session:
            tenants = [t["tenant_id"] for t in affected_tenants(session, window_id)]
            return answers.acknowledgements(session, window_id, tenants).line()

    def _report(self, window_id: str) -> tuple[ReportPublished, bool]:
        with transaction(self.engine) as session:
            return build_report(session, window_id), session.get(Report, window_id).mailed_at is not None

    def _everything(self, window_id: str) -> tuple[ReportPublished, list[dict], list[NoticeFailure]]:
        with transaction(self.engine) as session:
            return (
                build_report(session, window_id),
                affected_tenants(session, window_id),
                failures(session, window_id),
            )

    def _mailed(self, window_id: str, reply: str) -> None:
        with transaction(self.engine) as session:
            row = session.get(Report, window_id)
            row.mailed_at = utcnow()
            row.ops_reply = reply[:2000]

    async def _mail_ops(self, window_id: str) -> None:
        report, tenants, refused = await asyncio.to_thread(self._everything, window_id)
        message = compose_report(
            self.sender.composer.env,
            report,
            tenants,
            refused,
            provider=self.settings.provider,
            sender=self.settings.mail_from,
            to=self.settings.ops_email or "",
            stamp=utcnow(),
        )
        try:
            reply = await self.sender.mailer.send(message)
        except Permanent as refused_for_good:
            reply = str(refused_for_good)
            log.error("report for %s refused by the mail server: %s", window_id, reply)
        await asyncio.to_thread(self._mailed, window_id, reply)

    async def record_answer(self, body: bytes) -> RecordAnswerResult:
        """Store an answer the status page was given through a link (answers/recorded.py)."""
        s = self.settings
        return await record_answer(
            self.broker, body, retention=s.retention, timeout=s.publish_timeout, refusals=self.refusals
        )

    async def on_reply(self, reply: ReplyReceived) -> None:
        """Record a tenant's answer; tell ops of a decline or a proposed time, once."""
        with about(window_id=reply.window_id):
            objection, title = await asyncio.to_thread(self._record, reply)
            if not objection:
                return
            await self._chat_objection(reply, title)
            if not self.settings.ops_email:
                return
            message = compose_objection(
                reply,
                title,
                provider=self.settings.provider,
                sender=self.settings.mail_from,
                to=self.settings.ops_email,
                stamp=utcnow(),
            )
            try:
                await self.sender.mailer.send(message)
            except Permanent as refused:
                log.error("answer %s refused by the mail server: %s", reply.reply_id, refused)
            await asyncio.to_thread(self._told, reply)

    async def _chat_objection(self, reply: ReplyReceived, title: str) -> None:
        what = "declined" if reply.answer.value == "declined" else "asks for another time"
        lines = [f"{reply.contact}, answering revision {reply.revision} via {reply.via}."]
        if reply.proposed_start:
            lines.append(f"Proposed start: {reply.proposed_start:%Y-%m-%d %H:%M} UTC.")
        if reply.comment:
            lines.append(f"“{reply.comment}”")
        await self.chat.post(
            f"answer.{reply.reply_id}",
            f"{reply.tenant_id} {what}: {title} ({reply.window_id})",
            "\n".join(lines),
        )

    def _record(self, reply: ReplyReceived) -> tuple[bool, str]:
        """Whether ops are still to be told of this answer, and the window's title."""

        def once() -> tuple[bool, str]:
            with transaction(self.engine) as session:
                row = answers.record(session, reply)
                window = queries.window_view(session, reply.window_id)
                pending = row is not None and row.answer in answers.OBJECTIONS and row.ops_told_at is None
                return pending, window.title if window else reply.window_id

        return again_on_conflict(once)

    def _told(self, reply: ReplyReceived) -> None:
        with transaction(self.engine) as session:
            answers.mark_told(session, reply, utcnow())

    async def close(self) -> None:
        await self.sender.close()
