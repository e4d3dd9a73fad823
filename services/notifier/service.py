"""The notifier: for each resolved impact, one notice to each contact of each tenant."""

from __future__ import annotations

import logging

from faststream.nats import NatsBroker, NatsMessage
from sqlalchemy import Engine
from sqlmodel import Session

from forewarn.schemas import msgids, subjects
from forewarn.schemas.base import Impact, utcnow
from forewarn.schemas.impact import ImpactCause, ImpactResolved
from forewarn.schemas.timers import ReminderDue
from forewarn.schemas.windows import WindowView

from ..answers import store as answers
from ..bus import jetstream, timers
from ..bus.publish import Outgoing
from ..common import rolling
from ..mail import ledger
from ..mail.notice import NoticeKind
from ..mail.sender import NoticeSender
from ..platform.logs import about
from ..platform.metrics import Metrics
from ..platform.registry import Service
from ..scheduler import queries
from .settings import NotifierSettings
from .webhooks import WebhookSender

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
# A drift sets the reminders of the tenants who joined.
PLAN_CHANGES = {
    ImpactCause.SCHEDULED,
    ImpactCause.RESCHEDULED,
    ImpactCause.EXTENDED,
    ImpactCause.CANCELLED,
    ImpactCause.DRIFTED,
}


class Notifier(Service):
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
        self.engine = engine
        self.broker = broker
        self.sender = NoticeSender(
            settings,
            engine,
            broker,
            metrics=metrics,
            answers=settings.answer_links(),
            rsvp=settings.rsvp,
            status_url=settings.status_url,
        )
        self.webhooks = WebhookSender(settings, engine, broker)

    def kind_for(self, cause: ImpactCause) -> NoticeKind | None:
        """The notice this service sends for a change, if any."""
        if cause is ImpactCause.DRIFTED:
            return "joined"  # and "withdrawn" to the tenants who left
        if cause in (ImpactCause.COMPLETED, ImpactCause.PROGRESSED):
            # The reporter tells tenants of the completion, with their part of the report;
            # a rolling window's progress tells only some tenants (_tell_progress).
            return None
        if cause is ImpactCause.STARTED and not self.settings.notify_started:
            return None
        return KIND_OF[cause]

    def kind_of(self, impact: ImpactResolved) -> NoticeKind | None:
        """The notice an impact gets; for an occurrence of a series, what it tells of the series.

        A series' booking is one invitation per tenant, its recurring VEVENT, sent
        with its first occurrence: every other occurrence's booking tells nobody. A
        change from a date on updates that VEVENT once, with the first occurrence it
        called off; the others it called off tell nobody either.
        """
        if impact.cause is ImpactCause.SCHEDULED and impact.window.told_with_its_series:
            return None
        series = impact.window.series
        if impact.cause is ImpactCause.CANCELLED and series is not None and series.cut is not None:
            at = series.recurrence_id.start
            if at == series.cut:
                return "series"
            if at > series.cut:
                return None
        return self.kind_for(impact.cause)

    async def notify(self, impact: ImpactResolved, msg: NatsMessage | None = None) -> None:
        """Send every notice of this impact that the ledger has not seen through; set its reminders."""
        with about(window_id=impact.window.id):
            await self._notify(impact, msg)

    async def _notify(self, impact: ImpactResolved, msg: NatsMessage | None) -> None:
        # Queued first, as it only takes a publish: a mail server that is down holds up no webhook.
        await self.webhooks.queue(impact)
        kind = self.kind_of(impact)
        if kind is not None:
            await self.sender.fan_out(impact, kind)
        if impact.cause is ImpactCause.PROGRESSED:
            await self._tell_progress(impact)
        if impact.left:
            await self.sender.fan_out(impact, "withdrawn", tenants=impact.left)
        if msg is not None and impact.cause in PLAN_CHANGES and not await self._superseded(impact.window):
            await self._set_reminders(impact, msg.raw_message.metadata.sequence.stream)

    async def _tell_progress(self, impact: ImpactResolved) -> None:
        """A rolling window progressed: an all-clear to each tenant whose last host this revision
        saw done, and the new slot to each whose slot it told anew."""
        window = impact.window
        cleared = [t for t in impact.tenants if rolling.cleared_now(window, t)]
        moved = [t for t in impact.tenants if rolling.moved_now(window, t)]
        if cleared:
            await self.sender.fan_out(impact, "cleared", tenants=cleared)
        if moved:
            await self.sender.fan_out(impact, "updated", tenants=moved)

    async def remind(self, due: ReminderDue) -> None:
        """A reminder timer fired: remind every contact of the impact it points at."""
        stored = await jetstream.message(self.broker, subjects.STREAM, due.impact_seq)
        impact = ImpactResolved.model_validate_json(stored.data)
        if impact.window.revision != due.revision or await self._superseded(impact.window):
            return  # the window changed since; its new revision set its own reminders
        # Tenants who left the window since (a drift) are not reminded of it.
        gone = await self.sender.in_ledger(
            ledger.withdrawn, self.engine, impact.window.id, impact.window.revision
        )
        kind: NoticeKind = "reminder"
        if due.escalation:
            # Escalated only to those who have not acknowledged the plan, as it stands now.
            kind, gone = (
                "escalation",
                gone | await self.sender.in_ledger(self._acknowledged, impact.window.id),
            )
        with about(window_id=due.window_id):
            await self.sender.fan_out(impact, kind, lead=int(due.lead.total_seconds()), skip=gone)

    def _acknowledged(self, window_id: str) -> set[str]:
        with Session(self.engine) as session:
            return answers.acknowledged(session, window_id)

    async def _superseded(self, window: WindowView) -> bool:
        """Whether the window has a newer revision than this one.

        Notifiers handle parts at once, so an older revision can finish after a newer
        one: it must not replace the newer revision's reminders.
        """
        current = await self.sender.in_ledger(queries.current_revision, self.engine, window.id)
        return current is not None and current > window.revision

    async def _set_reminders(self, impact: ImpactResolved, seq: int) -> None:
        """One timer per lead time, replacing any earlier one; none once cancelled.

        A timer is replaced by publishing on its subject, never purged first: the same
        impact handled again after a crash publishes the same message ids, which the
        server drops as repeats, and a purge before them would leave no reminder at all.
        """
        window = impact.window
        if impact.cause is ImpactCause.CANCELLED:  # every part's timers go
            await timers.clear_timers(
                self.broker, subjects.REMINDER_STREAM, subjects.reminder_timers(window.id)
            )
            return
        leads = [(lead, False) for lead in self.settings.reminders]
        if self.settings.escalate and window.impact is Impact.OUTAGE:
            leads.append((self.settings.escalate, True))
        for lead, escalation in leads:
            token = f"e{int(lead.total_seconds())}" if escalation else int(lead.total_seconds())
            timer = subjects.reminder_timer(window.id, token, impact.part, impact.drift)
            at = window.start - lead
            if at <= utcnow():
                # Booked or moved inside this lead: the invitation itself is the reminder,
                # and an earlier plan's timer for it must not fire.
                await timers.clear_timers(self.broker, subjects.REMINDER_STREAM, timer)
                continue
            body = ReminderDue(
                window_id=window.id,
                revision=window.revision,
                lead=lead,
                impact_seq=seq,
                escalation=escalation,
            )
            out = Outgoing(
                timer,
                msgids.reminder(window.id, window.revision, token, impact.part, impact.drift, seq),
                body.model_dump_json().encode(),
                ttl=self.settings.retention,
            )
            await timers.set_timer(
                self.broker,
                out,
                at=at,
                target=subjects.reminder_due(window.id, token, impact.part, impact.drift),
                timeout=self.settings.publish_timeout,
            )

    async def close(self) -> None:
        await self.sender.close()
        await self.webhooks.close()
