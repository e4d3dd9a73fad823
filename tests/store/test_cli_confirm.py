"""On a terminal, book, reschedule, extend and cancel say whom they would tell and ask first."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from forewarn.services.inventory.load import load_inventory

FOREWARN = str(Path(sys.executable).with_name("forewarn"))
BOOK = ["book", "--title", "Kernel update", "--impact", "outage", "--hosts", "sto1-cmp-[01-04]",
        "--start", "+2d", "--duration", "1h"]  # fmt: skip


def _at_a_terminal(args: list[str], env: dict[str, str], answer: str | None) -> tuple[int, str]:
    """Run the CLI with a terminal for its input and output; answer its question, if it asks."""
    main, child = pty.openpty()
    proc = subprocess.Popen([FOREWARN, *args], stdin=child, stdout=child, stderr=child, env=env)
    os.close(child)
    said, answered = b"", False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            said += chunk
        if answer is not None and not answered and b"[y/N]" in said:
            os.write(main, answer.encode() + b"\r")
            answered = True
        if proc.poll() is not None and not ready:
            break
    os.close(main)
    return proc.wait(timeout=10), said.decode(errors="replace")


def test_a_person_is_asked_and_a_no_sends_nothing(engine, db_url, example_inventory, tmp_path) -> None:
    load_inventory(engine=engine, path=example_inventory)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOREWARN_")} | {
        "FOREWARN_DATABASE_URL": db_url,
        "FOREWARN_DATA_DIR": str(tmp_path),
        "FOREWARN_NATS_URL": "nats://127.0.0.1:9",  # nobody there: a command that goes on says so
        "FOREWARN_NATS_CONNECT_TIMEOUT": "1",
        "TERM": "dumb",
    }
    code, said = _at_a_terminal(BOOK, env, answer="n")
    assert "This tells 14 tenants, " in said and "contacts" in said and "Book it? [y/N]" in said, said
    assert code == 1 and "Nothing was sent." in said and "cannot reach NATS" not in said, said

    # Yes goes on (to a bus that is not there); --yes does not ask at all.
    code, said = _at_a_terminal(BOOK, env, answer="y")
    assert "[y/N]" in said and "cannot reach NATS" in said, said
    code, said = _at_a_terminal([*BOOK, "--yes"], env, answer=None)
    assert "[y/N]" not in said and "cannot reach NATS" in said, said
    # Without a terminal, a script is never asked.
    done = subprocess.run([FOREWARN, *BOOK], env=env, capture_output=True, text=True, timeout=60)
    assert "[y/N]" not in done.stdout + done.stderr and "cannot reach NATS" in done.stderr
