"""Real SMTP servers for the tests: aiosmtpd handlers that keep or refuse what they get."""

from __future__ import annotations

import socket
from collections import Counter
from email import message_from_bytes, policy


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def of_kind(self, label: str) -> list:
        # A subject that fits on the line after "Subject:" is folded there whole, space and all.
        return [m for m in self.messages if m["Subject"].lstrip().startswith(f"[{label}")]


class Moody(Inbox):
    """Answers 451 to the first attempt at every message, and 550 for one mailbox."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused
        self.tried: Counter = Counter()

    async def handle_DATA(self, server, session, envelope) -> str:
        rcpt = envelope.rcpt_tos[0]
        if rcpt == self.refused:
            return "550 5.1.1 mailbox unavailable"
        self.tried[rcpt] += 1
        if self.tried[rcpt] == 1:
            return "451 4.3.0 try again later"
        return await super().handle_DATA(server, session, envelope)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
