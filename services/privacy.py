"""Contacts are people: the pseudonym that takes a forgotten address's place, text scrubbed
of it, and the files that hold addresses kept to their owner.

Shared by the store's side (inventory, ledger) and the streams' side of
`forewarn contact forget`, and by whatever makes the data folder and the database.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path


def contact_key(address: str) -> str:
    """The short hash a notice's key holds for its recipient (mail.compose.notice_id)."""
    return hashlib.sha256(address.lower().encode()).hexdigest()[:12]


def new_pseudonym() -> str:
    """An address-shaped stand-in that names nobody (.invalid is reserved, RFC 2606)."""
    return f"forgotten-{secrets.token_hex(8)}@forgotten.invalid"


def scrub(text: str, address: str, pseudonym: str) -> str:
    """Text with every spelling of the address (in any case) and its hash replaced."""
    text = re.sub(re.escape(address), pseudonym, text, flags=re.IGNORECASE)
    return text.replace(contact_key(address), contact_key(pseudonym))


def private_folder(folder: Path) -> Path:
    """A folder only its owner may enter: the data folder holds every contact's address and the keys."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder


def private_database(path: Path) -> None:
    """An SQLite file (and its -wal and -shm, which SQLite creates with its mode) only its owner reads.

    Never opened here when it exists: closing any descriptor of a database file
    drops the SQLite locks this process's other connections hold on it.
    """
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        for existing in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
            if existing.exists():
                existing.chmod(0o600)
