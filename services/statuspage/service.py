"""The status page: a projection of the stream, served over HTTP by uvicorn in the same process."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import datetime
from typing import Any

from faststream.nats import NatsBroker
from jinja2 import Environment, FileSystemLoader
from nats.aio.msg import Msg
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.client import JetStreamContext
from prometheus_client import Counter, Gauge
from sqlalchemy import Engine

from forewarn.schemas import subjects
from forewarn.schemas.answers import ReplyReceived
from forewarn.schemas.commands import RecordAnswer, RecordAnswerResult

from ..bus import jetstream
from ..ical.invitation import Organizer
from ..inventory.summary import summarize
from ..platform.http import HttpServer
from ..platform.metrics import Metrics
from ..platform.registry import Service
from . import snapshot
from .answering import NotRecorded
from .api import Page, StatusApi
from .handlers import FOLLOWED
from .live import Broadcast
from .settings import StatusSettings
from .state import StatusView
from .web import build_app
from .words import WORDS, when

log = logging.getLogger("forewarn.statuspage")


class StatusPage(Service):
    """Holds the page's state and resources; built at start-up, serving after start()."""

    def __init__(self, settings: StatusSettings, engine: Engine, broker: NatsBroker, metrics: Metrics):
        self.settings = settings
        self.engine = engine
        self.broker = broker
        self.metrics = metrics
        metrics.refreshers.append(self.refresh_lag)
        registry = metrics.registry
        self.view = StatusView(keep_days=settings.status_recent_days)
        # The first stream message the stored snapshot lacks: where a start resumes (prepare()).
        self.resume_at = 1
        self._snapshots: asyncio.Task[None] | None = None
        self._follower: JetStreamContext.PushSubscription | None = None
        self.broadcast = Broadcast()
        self.organizer = Organizer(settings.provider, settings.mail_from)
        self.answers = settings.answer_links()
        self.templates = Environment(
            loader=FileSystemLoader(settings.templates_dir / "status"), autoescape=True, trim_blocks=True
        )
        self.templates.globals["words"] = WORDS
        # One time format on every page and in every timeline entry.
        self.templates.filters["when"] = when
        self.caught_up = False
        # Where people reach the page (links use it), and where it listens; set by start().
        self.url = settings.public_url()
        self.address = self.url
        self.api = StatusApi(self.view, Page(settings.status_name, self.url))
        self.applied = Counter(
            "forewarn_statuspage_events_applied", "Stream messages the page took in", registry=registry
        )
        self.lag = Gauge(
            "forewarn_statuspage_lag_messages",
            "Messages in the stream the page has not read yet",
            registry=registry,
        )
        self.listeners = Gauge(
            "forewarn_statuspage_sse_clients", "Open live-update streams", registry=registry
        )
        self.listeners.set_function(lambda: len(self.broadcast.listeners))
        self.http: HttpServer | None = None

    async def on_message(self, raw: Msg) -> None:
        """Apply one stream message; the page keeps going whatever the message holds."""
        meta = raw.metadata
        try:
            changed = self.view.apply(raw.subject, raw.data, meta.sequence.stream)
        except Exception:  # a bug here must not stop the page from following the stream
            log.exception("status page could not apply message %s on %s", meta.sequence.stream, raw.subject)
            changed = None
        self.applied.inc()
        if meta.num_pending == 0:
            self.caught_up = True
        if changed:
            self.broadcast.publish(changed, meta.sequence.stream)

    async def refresh_lag(self) -> int:
        """How many messages the page follows that the server has not handed it yet."""
        if self._follower is None:
            return 0
        behind = (await self._follower.consumer_info()).num_pending
        self.lag.set(behind)
        return behind

    async def follow(self) -> None:
        """Read the view from where the snapshot ends: lifecycle and impact only, in order."""
        config = ConsumerConfig(
            filter_subjects=list(FOLLOWED),
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=self.resume_at,
        )
        js = jetstream.context(self.broker)
        self._follower = await js.subscribe(
            "", stream=subjects.VIEW_STREAM, ordered_consumer=True, cb=self.on_message, config=config
        )
        # Nothing left to push and nothing pushed: the view is as new as the stream.
        info = await self._follower.consumer_info()
        if info.num_pending == 0 and info.delivered.consumer_seq == 0:
            self.caught_up = True

    async def prepare(self) -> None:
        """Restore the view from its snapshot, unless the stream is not the one it was taken from."""
        saved = await asyncio.to_thread(snapshot.load, self.engine, subjects.VIEW_STREAM)
        if saved is None:
            return
        info = await jetstream.context(self.broker).stream_info(subjects.VIEW_STREAM)
        if saved.last_seq > info.state.last_seq:
            log.warning(
                "the status page's snapshot ends at message %s, but %s holds %s: the stream was made "
                "anew, so the page reads it from its start",
                saved.last_seq,
                subjects.VIEW_STREAM,
                info.state.last_seq,
            )
            return
        self.view.restore(saved.body)
        self.resume_at = self.view.last_seq + 1
        log.info("status page restored its view as of message %s", self.view.last_seq)

    async def save_snapshot(self) -> None:
        """Store the view as it is now, if it moved since the last snapshot."""
        body, seq = self.view.dump(), self.view.last_seq
        if seq >= self.resume_at:
            await asyncio.to_thread(snapshot.save, self.engine, subjects.VIEW_STREAM, seq, body)
            self.resume_at = seq + 1

    async def _keep_snapshots(self) -> None:
        while True:
            await asyncio.sleep(self.settings.status_snapshot_every.total_seconds())
            try:
                await self.save_snapshot()
            except Exception:  # the store may be down a while: the next one will do
                log.exception("status page could not store its snapshot")

    async def start(self) -> None:
        """Restore the snapshot, follow the view, load the components, then serve HTTP."""
        await self.prepare()
        await self.follow()
        self._snapshots = asyncio.create_task(self._keep_snapshots())
        rows = await asyncio.to_thread(summarize, self.engine)
        self.view.add_components([(row["site"], row["role"]) for row in rows])
        self.http = HttpServer(build_app(self))
        port = await self.http.start(
            self.settings.status_host,
            self.settings.status_port,
            what="the status page",
            variables="FOREWARN_STATUS_HOST or FOREWARN_STATUS_PORT",
        )
        self.address = self.http.address
        self.url = self.settings.public_url(port)
        self.api.page_info = Page(self.settings.status_name, self.url)
        log.info("status page listening on %s, public address %s", self.address, self.url)

    async def close(self) -> None:
        """End live streams first, so the server's shutdown does not wait for browsers."""
        self.broadcast.close()
        if self.http:
            await self.http.close()
        if self._follower:
            with suppress(Exception):  # the connection may have closed first
                await self._follower.unsubscribe()
        if self._snapshots:
            self._snapshots.cancel()
            try:
                await self.save_snapshot()
            except Exception:  # the next start reads a little more of the stream, nothing worse
                log.exception("status page could not store its snapshot at shutdown")

    async def publish_reply(self, reply: ReplyReceived, *, until: datetime) -> None:
        """Have the reporter record a tenant's answer from the page's form (answers/recorded.py)."""
        asked = RecordAnswer(reply=reply, keep_until=until)
        # The reporter waits up to publish_timeout for its own PubAck before it answers:
        # the page waits for that and the round trip, or a slow but stored answer reads as lost.
        try:
            answer = await self.broker.request(
                asked, subjects.RECORD_ANSWER, timeout=2 * self.settings.publish_timeout
            )
        except (TimeoutError, NatsTimeout, NoRespondersError) as exc:
            raise NotRecorded("no reporter answered") from exc
        result = RecordAnswerResult.model_validate_json(answer.body)
        if not result.recorded:
            raise NotRecorded(result.reason)

    def render(self, template: str, **context: Any) -> str:
        return self.templates.get_template(template).render(page=self, **context)
