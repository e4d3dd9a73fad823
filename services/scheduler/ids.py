"""Ids the scheduler gives windows and series, derived from the commands that booked them."""

from __future__ import annotations

import base64
import hashlib


def window_id_for(command_id: str) -> str:
    """A short, stable window id derived from the booking command's id."""
    digest = hashlib.sha256(command_id.encode()).digest()
    return "mw-" + base64.b32encode(digest).decode().lower()[:8]
