"""Ops chat: a booking, a start, a completion with its report line, and a tenant's objection, via Apprise.

FOREWARN_OPS_NOTIFY names where (Slack, Teams, Matrix, … as Apprise URLs).
Each message has a key, marked in the store once posted: a redelivered event
posts nothing twice, and a crash between posting and marking posts it at most
once more.
"""

from __future__ import annotations

import asyncio
import email.charset
import logging

import apprise
from sqlalchemy import Engine
from sqlmodel import Session

from forewarn.schemas.base import printable, utcnow

from ..platform.config import StartupError
from ..platform.db import again_on_conflict, transaction
from .models import OpsMessage

log = logging.getLogger("forewarn.reporter")


class OpsChat:
    """Posts to every Apprise URL configured; built once at start-up."""

    def __init__(self, urls: list[str], engine: Engine) -> None:
        self.engine = engine
        self.apprise = apprise.Apprise()
        # Loading its plugins (at the first add), Apprise's e-mail plugin sets UTF-8 mail bodies
        # to quoted-printable for the whole process; notices and reports keep the email
        # package's own defaults.
        charsets = dict(email.charset.CHARSETS)
        try:
            for number, url in enumerate(urls, start=1):
                if not self.apprise.add(url):
                    # The URL itself may hold a token: say which entry, not what it holds.
                    raise StartupError(f"FOREWARN_OPS_NOTIFY: entry {number} is not a URL Apprise knows")
        finally:
            email.charset.CHARSETS.clear()
            email.charset.CHARSETS.update(charsets)

    @property
    def enabled(self) -> bool:
        return len(self.apprise) > 0

    async def post(self, key: str, title: str, body: str) -> None:
        """Post once per key; raise if no service took it, so the event is tried again."""
        if not self.enabled or await asyncio.to_thread(self._posted_already, key):
            return
        # Text from titles and tenants goes out as plain text, one line each, nothing hidden.
        sent = await self.apprise.async_notify(
            body=printable(body, multiline=True),
            title=printable(title),
            body_format=apprise.NotifyFormat.TEXT,
        )
        if not sent:
            raise RuntimeError(f"ops chat: no service took message {key}")
        await asyncio.to_thread(again_on_conflict, self._mark, key)

    def _posted_already(self, key: str) -> bool:
        with Session(self.engine) as session:
            return session.get(OpsMessage, key) is not None

    def _mark(self, key: str) -> None:
        with transaction(self.engine) as session:
            if session.get(OpsMessage, key) is None:
                session.add(OpsMessage(key=key, posted_at=utcnow()))
