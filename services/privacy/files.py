"""The files that hold contacts' addresses and the keys, kept to their owner: the data folder
and the SQLite store."""

from __future__ import annotations

import os
from pathlib import Path


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
