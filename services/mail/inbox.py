"""The demo inbox: an SMTP server that files every message as an .eml under the data dir.

`forewarn up` runs it when FOREWARN_SMTP_HOST is unset, so the whole system can be
tried on a laptop, and every notice opened in a mail client.
"""

from __future__ import annotations

import re
from itertools import count
from pathlib import Path

from aiosmtpd.controller import Controller

_UNSAFE = re.compile(r"[^A-Za-z0-9@._-]+")


class _FileEverything:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.numbers = count(len(list(folder.glob("*.eml"))) + 1)

    async def handle_DATA(self, server, session, envelope) -> str:
        for rcpt in envelope.rcpt_tos:
            name = f"{next(self.numbers):06d}-{_UNSAFE.sub('_', rcpt)}.eml"
            (self.folder / name).write_bytes(envelope.original_content or envelope.content)
        return "250 OK: filed"


class DemoInbox:
    """An in-process SMTP server on loopback."""

    def __init__(self, folder: Path, port: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.port = port
        self._controller = Controller(_FileEverything(folder), hostname="127.0.0.1", port=port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
