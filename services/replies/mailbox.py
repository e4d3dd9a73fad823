"""The organizer's mailbox over IMAP (imapclient, in a thread): new messages, moving them, IDLE."""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass

from imapclient import IMAPClient

from .settings import RepliesSettings

log = logging.getLogger("forewarn.replies")
# Messages fetched at once: a large backlog is read in pieces of this many.
BATCH = 50


@dataclass(frozen=True)
class Unread:
    """Messages past the cursor, and the mailbox's UIDVALIDITY they are numbered under."""

    uid_validity: int
    messages: list[tuple[int, bytes]]


class Mailbox:
    """One IMAP connection to the mailbox calendars reply to; use from one thread at a time."""

    def __init__(self, settings: RepliesSettings) -> None:
        self.settings = settings
        self.client: IMAPClient | None = None

    def open(self) -> None:
        s = self.settings
        context = ssl.create_default_context(cafile=str(s.imap_ca_file) if s.imap_ca_file else None)
        client = IMAPClient(
            s.imap_host, port=s.imap_port, ssl=s.imap_tls == "tls", ssl_context=context, timeout=30
        )
        if s.imap_tls == "starttls":
            client.starttls(context)
        client.login(s.imap_username or "", s.imap_password.get_secret_value() if s.imap_password else "")
        for folder in (s.imap_answered_folder, s.imap_strangers_folder):
            if not client.folder_exists(folder):
                client.create_folder(folder)
        client.select_folder(s.imap_mailbox)
        self.client = client

    def unread(self, uid_validity: int, last_uid: int) -> Unread:
        """Up to BATCH messages after last_uid (all of them if UIDVALIDITY changed), oldest first."""
        client = self._client()
        status = client.folder_status(self.settings.imap_mailbox, [b"UIDVALIDITY"])
        current = int(status[b"UIDVALIDITY"])
        after = last_uid if current == uid_validity else 0
        # "N:*" always names the newest message, even one below N: keep only those after.
        uids = sorted(u for u in client.search(["UID", f"{after + 1}:*"]) if u > after)[:BATCH]
        if not uids:
            return Unread(current, [])
        fetched = client.fetch(uids, [b"BODY.PEEK[]"])
        return Unread(current, [(uid, fetched[uid][b"BODY[]"]) for uid in uids if uid in fetched])

    def move_to(self, uid: int, folder: str) -> None:
        """Move a message read to one of our folders: out of the way, never deleted."""
        client = self._client()
        if client.has_capability("MOVE"):
            client.move([uid], folder)
        else:
            client.copy([uid], folder)
            client.delete_messages([uid])
            client.uid_expunge([uid])

    def wait(self, seconds: float) -> bool:
        """Wait for news of the mailbox with IDLE, at most this long; whether any came.

        News that arrives between idle_check() and DONE comes back from idle_done():
        it counts as much as what idle_check() saw.
        """
        client = self._client()
        client.idle()
        news: list = []
        try:
            news = client.idle_check(timeout=seconds)
        finally:
            _, late = client.idle_done()
        return bool(news or late)

    def has_new(self, uid_validity: int, last_uid: int) -> bool:
        """Whether messages arrived past the cursor, asked of the server rather than of IDLE.

        IDLE's EXISTS is a hint a server may send late or fold into another
        response; UIDNEXT is the truth.
        """
        status = self._client().folder_status(self.settings.imap_mailbox, [b"UIDVALIDITY", b"UIDNEXT"])
        if int(status[b"UIDVALIDITY"]) != uid_validity:
            return True
        return int(status[b"UIDNEXT"]) > last_uid + 1

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.logout()
            except Exception:  # the connection may be gone already: nothing is left to say
                log.debug("IMAP logout failed", exc_info=True)
            self.client = None

    def _client(self) -> IMAPClient:
        if self.client is None:
            self.open()
        assert self.client is not None
        return self.client
