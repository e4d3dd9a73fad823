"""The replies reader: calendars' answers from the organizer's mailbox, published as ReplyReceived.

For each message past its cursor, oldest first: publish the answers it holds
(their ids derived from the message and the answer, so a message read twice is
published once), move it to FOREWARN_IMAP_ANSWERED_FOLDER, then advance the
cursor. A crash anywhere repeats at most the last message, harmlessly. A
message that answers none of our invitations stays where it is, counted and
logged. Between passes the reader waits in IMAP IDLE.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime

import stamina
from faststream.nats import NatsBroker
from imapclient.exceptions import IMAPClientError
from prometheus_client import Counter
from sqlalchemy import Engine
from sqlmodel import Session

from forewarn.schemas.answers import ReplyReceived

from ..answers.published import publish_reply
from ..platform.config import StartupError
from ..platform.db import again_on_conflict, transaction
from ..platform.metrics import Metrics
from ..platform.registry import Service
from .mailbox import Mailbox
from .match import NotAContact, record_delegation, reply_for
from .models import MailboxCursor
from .parse import Delegation, read_mail
from .settings import RepliesSettings

log = logging.getLogger("forewarn.replies")
# What a mailbox that went away raises: the reader waits and connects again.
_GONE = (OSError, IMAPClientError)
# IDLE in slices this long, so that stopping never waits on the server.
_SLICE = 1.0
# Seconds before reading again after anything else went wrong.
_AGAIN = 5


@dataclass
class Read:
    """What one message held about our windows."""

    answers: list[tuple[ReplyReceived, datetime]] = field(default_factory=list)
    strangers: list[str] = field(
        default_factory=list
    )  # why each answer from a non-contact counts for nothing
    delegated: bool = False  # a contact handed an invitation on


class RepliesReader(Service):
    """Holds the mailbox connection and the store; reads until closed."""

    def __init__(
        self, settings: RepliesSettings, engine: Engine, broker: NatsBroker, metrics: Metrics
    ) -> None:
        if not settings.imap_host:
            raise StartupError(
                "FOREWARN_IMAP_HOST is unset: set it (and FOREWARN_IMAP_USERNAME and PASSWORD)"
            )
        self.settings = settings
        self.engine = engine
        self.broker = broker
        self.mailbox = Mailbox(settings)
        self.messages = Counter(
            "forewarn_replies_messages",
            "Messages read from the organizer's mailbox: answers, strangers' (set aside), other mail",
            ["outcome"],
            registry=metrics.registry,
        )
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        self._stopping.set()
        if self._task:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        await asyncio.to_thread(self.mailbox.close)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._pass()
            except Exception:  # NATS or the store away a while: the message is read again after
                log.exception("reading %s failed; trying again in %s s", self.settings.imap_mailbox, _AGAIN)
                await asyncio.to_thread(self.mailbox.close)
                await asyncio.sleep(_AGAIN)

    @stamina.retry(on=_GONE, attempts=None, timeout=None, wait_initial=1.0, wait_max=60.0)
    async def _pass(self) -> None:
        """Read everything new, then wait for more; a lost connection is opened again."""
        try:
            while await self.read_new():
                pass
            await self._wait()
        except _GONE as exc:
            log.warning(
                "mailbox %s on %s: %s; connecting again",
                self.settings.imap_mailbox,
                self.settings.imap_host,
                exc,
            )
            await asyncio.to_thread(self.mailbox.close)
            raise

    async def _wait(self) -> None:
        """IDLE until news or FOREWARN_IMAP_IDLE; after each slice, ask UIDNEXT whatever IDLE said."""
        left = self.settings.imap_idle.total_seconds()
        while left > 0 and not self._stopping.is_set():
            if await asyncio.to_thread(self.mailbox.wait, min(left, _SLICE)):
                return
            validity, last = await asyncio.to_thread(self._cursor)
            if await asyncio.to_thread(self.mailbox.has_new, validity, last):
                return
            left -= _SLICE

    async def read_new(self) -> int:
        """Read one batch past the cursor; how many messages it held."""
        mailbox = self.settings.imap_mailbox
        validity, last = await asyncio.to_thread(self._cursor)
        unread = await asyncio.to_thread(self.mailbox.unread, validity, last)
        if unread.uid_validity != validity:
            if validity:
                log.info(
                    "mailbox %s was renumbered (UIDVALIDITY %s): reading it again",
                    mailbox,
                    unread.uid_validity,
                )
            await asyncio.to_thread(self._advance, unread.uid_validity, 0)
        for uid, raw in unread.messages:
            await self.take(uid, raw)
            await asyncio.to_thread(self._advance, unread.uid_validity, uid)
        return len(unread.messages)

    async def take(self, uid: int, raw: bytes) -> list[ReplyReceived]:
        """Publish one message's answers and move it away; set a stranger's aside; leave anything else."""
        read = await asyncio.to_thread(self._replies, raw)
        s = self.settings
        for reply, end in read.answers:
            await publish_reply(
                self.broker, reply, window_end=end, retention=s.retention, timeout=s.publish_timeout
            )
        for stranger in read.strangers:
            log.warning("message %s in %s: %s", uid, s.imap_mailbox, stranger)
        if read.answers or read.delegated:
            await asyncio.to_thread(self.mailbox.move_to, uid, s.imap_answered_folder)
            self.messages.labels("answer").inc()
        elif read.strangers:
            await asyncio.to_thread(self.mailbox.move_to, uid, s.imap_strangers_folder)
            self.messages.labels("stranger").inc()
        else:
            self.messages.labels("other").inc()
            log.info(
                "message %s in %s answers none of our invitations: left where it is", uid, s.imap_mailbox
            )
        return [reply for reply, _ in read.answers]

    def _replies(self, raw: bytes) -> Read:
        """What a message holds about windows of ours: answers (with their window's end), and more."""
        read = Read()
        with transaction(self.engine) as session:
            for item in read_mail(raw, self.settings.provider):
                if isinstance(item, Delegation):
                    read.delegated = record_delegation(session, item) or read.delegated
                    continue
                try:
                    matched = reply_for(session, item)
                except NotAContact as stranger:
                    read.strangers.append(str(stranger))
                    continue
                except ValueError as exc:  # a field no ReplyReceived may hold: an answer we cannot keep
                    log.warning("an answer to window %s cannot be read: %s", item.window_id, exc)
                    continue
                if matched is not None:
                    read.answers.append(matched)
        return read

    def _cursor(self) -> tuple[int, int]:
        with Session(self.engine) as session:
            row = session.get(MailboxCursor, self.settings.imap_mailbox)
            return (row.uid_validity, row.last_uid) if row else (0, 0)

    def _advance(self, uid_validity: int, uid: int) -> None:
        def once() -> None:
            with transaction(self.engine) as session:
                row = session.get(MailboxCursor, self.settings.imap_mailbox) or MailboxCursor(
                    mailbox=self.settings.imap_mailbox, uid_validity=uid_validity, last_uid=0
                )
                row.uid_validity, row.last_uid = uid_validity, uid
                session.add(row)

        again_on_conflict(once)
