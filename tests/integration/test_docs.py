"""Every command that Getting started shows is run, in order, as a reader would type it.

The page's console blocks are read: each `$ forewarn …` line is a command (a line ending in a
backslash goes on), and what follows it, up to the next `$`, is what it printed. `forewarn up`
starts in the background, as in the reader's other terminal. A command shown printing
`error:` must fail with exit code 2; any other must succeed. The window id the page shows is
the one the booking really made. It runs `forewarn up` on its fixed port, so it shares a
worker with the other tests that do (tests/conftest.py).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import FOREWARN
from .smtp import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "getting-started.md"
SHOWN_ID = "mw-jhfhvyjq"


@dataclass(frozen=True)
class Shown:
    """One command of the page, and whether the page shows it refused."""

    args: list[str]
    refused: bool


def commands(page: Path) -> list[Shown]:
    found: list[Shown] = []
    for block in re.findall(r"```console\n(.*?)```", page.read_text(), re.DOTALL):
        lines = block.splitlines()
        i = 0
        while i < len(lines):
            if not lines[i].startswith("$ "):
                i += 1
                continue
            command = lines[i][2:]
            while command.endswith("\\"):
                i += 1
                command = command[:-1] + lines[i].strip()
            i += 1
            said = []
            while i < len(lines) and not lines[i].startswith("$ "):
                said.append(lines[i])
                i += 1
            found.append(Shown(shlex.split(command), any(s.startswith("error:") for s in said)))
    return found


def test_the_page_shows_commands() -> None:
    shown = commands(PAGE)
    assert [c.args[:2] for c in shown[:2]] == [["forewarn", "inventory"], ["forewarn", "up"]]
    assert sum(c.refused for c in shown) == 1 and len(shown) >= 9


def test_every_command_of_getting_started_runs_as_shown(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOREWARN_")} | {
        "FOREWARN_DATA_DIR": str(tmp_path / "data"),
        "FOREWARN_SMTP_PORT": str(free_port()),
        "FOREWARN_STATUS_PORT": str(free_port()),
        "COLUMNS": "200",
    }
    up = None
    window_id = SHOWN_ID
    try:
        for shown in commands(PAGE):
            args = [FOREWARN if a == "forewarn" else a.replace(SHOWN_ID, window_id) for a in shown.args]
            if args[1] == "up":
                up = _up(args, env, tmp_path)
                continue
            done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
            assert done.returncode == (2 if shown.refused else 0), (shown.args, done.stdout, done.stderr)
            if args[1] == "book" and not shown.refused:
                window_id = re.search(r"Window (mw-[a-z0-9]+) scheduled", done.stdout).group(1)
        assert up is not None and up.poll() is None, "forewarn up stopped"
        # From another data folder, nothing is made up: the CLI says where it looked.
        elsewhere = env | {"FOREWARN_DATA_DIR": str(tmp_path / "elsewhere")}
        listed = subprocess.run([FOREWARN, "list"], env=elsewhere, capture_output=True, text=True)
        assert (
            listed.returncode == 1
            and f"no store at {tmp_path / 'elsewhere' / 'forewarn.db'}" in listed.stderr
        )
        assert not (tmp_path / "elsewhere").exists(), "a read made a store"
        refused = subprocess.run([FOREWARN, "cancel", window_id, "--reason", "x"], env=elsewhere,
                                 capture_output=True, text=True)  # fmt: skip
        assert refused.returncode == 1 and "refused the login: no credentials in " in refused.stderr, refused
        assert str(tmp_path / "elsewhere" / "nats-passwords.json") in refused.stderr
    finally:
        if up is not None:
            up.send_signal(signal.SIGINT)
            up.wait(timeout=60)


def _up(args: list[str], env: dict[str, str], folder: Path) -> subprocess.Popen:
    """`forewarn up` in the background, from the reader's folder, until it says it is up."""
    said = folder / "up.out"
    with said.open("w") as out:
        up = subprocess.Popen(args, env=env, cwd=folder, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while "forewarn is up" not in said.read_text():
        assert up.poll() is None and time.monotonic() < deadline, said.read_text()
        time.sleep(0.2)
    return up
