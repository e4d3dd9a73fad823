"""The scheduler: applies commands and timers to windows, then publishes what happened."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from faststream.nats import NatsBroker
from sqlalchemy import Engine, select, text
from sqlmodel import Session

from forewarn.schemas import msgids, subjects
from forewarn.schemas.base import Payload, WindowState, utcnow
from forewarn.schemas.commands import (
    BookWindow,
    CancelWindow,
    ChangeSeries,
    CompleteWindow,
    ExtendWindow,
    ReportProgress,
    RescheduleWindow,
)
from forewarn.schemas.timers import WindowDue
from forewarn.schemas.windows import WindowEvent, WindowStarted

from ..bus import timers
from ..bus.deadletters import MaxDeliveries, record_gave_up
from ..bus.publish import Outgoing, publish_all
from ..platform.db import transaction
from ..platform.logs import about
from ..platform.registry import Service
from . import lifecycle, timeline
from .freezes import FreezeCalendar
from .models import Window
from .rules import Rules
from .settings import SchedulerSettings

log = logging.getLogger("forewarn.scheduler")


class Scheduler(Service):
    """Holds the scheduler's resources; built once at start-up."""

    def __init__(self, settings: SchedulerSettings, engine: Engine, broker: NatsBroker) -> None:
        self.settings = settings
        self.engine = engine
        self.broker = broker
        self.rules = Rules(
            min_lead=settings.min_lead,
            max_duration=settings.max_duration,
            min_duration=settings.min_duration,
            slot_slack=settings.slot_slack,
            freezes=FreezeCalendar.from_dir(settings.freeze_dir),
        )
        self.clock: Callable[[], datetime] = utcnow

    async def start(self) -> None:
        """Set the timers of every live window again: a timer stream made anew loses none."""
        for window_id in await asyncio.to_thread(self._live):
            await self.sync_timers(window_id)

    async def obey(self, command: Payload) -> bytes:
        """Apply a command; publish its events and timers; return the answer for the sender."""
        # A booking names no window yet: its id derives from the command id.
        window_id = getattr(command, "window_id", None) or lifecycle.window_id_for(command.command_id)
        with about(window_id=window_id):
            entries = await asyncio.to_thread(self._apply_command, command)
            await self._publish(entries, window_id)
        return entries[0].out.payload

    async def fire(self, due: WindowDue) -> None:
        """A timer fired: start or complete the window if it is still due."""
        with about(window_id=due.window_id):
            entries = await asyncio.to_thread(self._apply_due, due)
            await self._publish(entries, due.window_id)

    async def bury(self, advisory: MaxDeliveries) -> None:
        """A consumer gave up on a message: keep it as a dead letter."""
        await record_gave_up(self.broker, advisory, timeout=self.settings.publish_timeout)

    async def _publish(self, entries: list[timeline.Entry], window_id: str | None) -> None:
        await publish_all(self.broker, [e.out for e in entries], timeout=self.settings.publish_timeout)
        # A series' booking or change touches several windows: each one's timers follow it.
        touched = {e.window_id for e in entries if e.window_id} | ({window_id} if window_id else set())
        for wid in sorted(touched):
            await self.sync_timers(wid)

    def _apply_command(self, command: Payload) -> list[timeline.Entry]:
        apply = _APPLY[type(command)]
        with transaction(self.engine) as session:
            _serialize(session)
            done = timeline.recorded(session, command.command_id)
            if done:
                log.info("command %s was already applied; republishing its events", command.command_id)
                return done
            try:
                events = apply(session, command, rules=self.rules, now=self.clock())
            except lifecycle.Rejected as rejected:
                log.info("rejected %s %s: %s", type(command).__name__, command.command_id, rejected)
                events = [timeline.rejection(command, rejected.reasons)]
            return timeline.record(session, command.command_id, events)

    def _apply_due(self, due: WindowDue) -> list[timeline.Entry]:
        cause = timeline.timer_cause(due.window_id, due.edge)
        with transaction(self.engine) as session:
            _serialize(session)
            done = timeline.recorded(session, cause)
            if done:
                return done
            transition = lifecycle.start_due if due.edge == "start" else lifecycle.end_due
            events = transition(session, due.window_id, now=self.clock())
            entries = timeline.record(session, cause, events)
        if any(isinstance(event, WindowStarted) and event.late for event in events):
            log.warning("window %s started late: the scheduler was down at its start", due.window_id)
        return entries

    async def sync_timers(self, window_id: str) -> None:
        """Make the stream's timers match the window: set while due, purge once past."""
        window = await asyncio.to_thread(self._get, window_id)
        if window is None:
            return
        state = window.state
        for edge, at in (("start", window.start), ("end", window.end)):
            wanted = state is WindowState.SCHEDULED or (state is WindowState.IN_PROGRESS and edge == "end")
            if wanted:
                await self._set_timer(window, edge, at)
            else:
                await self._purge_timer(window.id, edge)

    async def _set_timer(self, window: Window, edge: str, at: datetime) -> None:
        body = WindowDue(window_id=window.id, edge=edge, at=at).model_dump_json().encode()
        key = msgids.timer(window.id, edge, window.revision)
        out = Outgoing(subjects.timer(window.id, edge), key, body, ttl=self.settings.retention)
        await timers.set_timer(
            self.broker,
            out,
            at=at,
            target=subjects.due(window.id, edge),
            timeout=self.settings.publish_timeout,
        )

    async def _purge_timer(self, window_id: str, edge: str) -> None:
        await timers.clear_timers(self.broker, subjects.TIMER_STREAM, subjects.timer(window_id, edge))

    def _live(self) -> list[str]:
        live = [WindowState.SCHEDULED, WindowState.IN_PROGRESS]
        with Session(self.engine) as session:
            return list(session.scalars(select(Window.id).where(Window.state.in_(live))))

    def _get(self, window_id: str) -> Window | None:
        with Session(self.engine) as session:
            return session.get(Window, window_id)


def _serialize(session: Session) -> None:
    # Overlap checks read other windows: on PostgreSQL, take one lock per
    # transaction so two schedulers cannot both accept clashing windows.
    # SQLite serialises writers by itself.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(4242)"))


_APPLY: dict[type[Payload], Callable[..., list[WindowEvent]]] = {
    BookWindow: lifecycle.book,
    RescheduleWindow: lifecycle.reschedule,
    ExtendWindow: lifecycle.extend,
    CancelWindow: lifecycle.cancel,
    CompleteWindow: lifecycle.complete,
    ReportProgress: lifecycle.progress,
    ChangeSeries: lifecycle.change_series,
}
