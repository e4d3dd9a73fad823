"""`forewarn up` with nothing configured: the embedded bus is locked like production's.

Before, any local process could connect to the embedded server unauthenticated
and mail tenants false notices, or any address. Now the server starts with
forewarn's per-service users, passwords private to the data dir's owner.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import sys
from pathlib import Path

import nats
import nats.errors
import pytest

from forewarn.schemas import subjects
from forewarn.services.bus.embedded import PASSWORDS
from forewarn.services.platform.config import EMBEDDED_NATS_PORT

from ..conftest import EXAMPLES
from ..integration.smtp import free_port

FOREWARN = str(Path(sys.executable).with_name("forewarn"))
EMBEDDED = f"nats://127.0.0.1:{EMBEDDED_NATS_PORT}"
pytestmark = pytest.mark.integration


async def _cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        FOREWARN, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode(), err.decode()


async def _up(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(FOREWARN, "up", stdout=out, stderr=out, env=env)
    deadline = asyncio.get_running_loop().time() + 90
    while b"forewarn is up" not in log.read_bytes():
        assert proc.returncode is None, log.read_text()
        assert asyncio.get_running_loop().time() < deadline, log.read_text()
        await asyncio.sleep(0.2)
    return proc


async def test_forewarn_up_locks_the_embedded_bus_to_forewarns_users(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOREWARN_")} | {
        "FOREWARN_DATA_DIR": str(data),
        "FOREWARN_STATUS_PORT": str(free_port()),
        "FOREWARN_SMTP_PORT": str(free_port()),
        "FOREWARN_REMINDERS": "",
        "NO_COLOR": "1",
    }
    code, _, err = await _cli(env, "inventory", "load", str(EXAMPLES / "inventory.yaml"))
    assert code == 0, err
    assert _mode(data / "forewarn.db") == 0o600
    # A data folder as an earlier release left it: open to every local user.
    data.chmod(0o755)
    (data / "forewarn.db").chmod(0o644)
    up = await _up(env, tmp_path / "up.log")
    try:
        assert _mode(data) == 0o700
        assert {_mode(data / name) for name in ("forewarn.db", "forewarn.db-wal")} == {0o600}
        # Anyone else on the machine: no login, no bus.
        with pytest.raises(nats.errors.Error, match=r"(?i)authorization"):
            await nats.connect(EMBEDDED, allow_reconnect=False, connect_timeout=2, max_reconnect_attempts=0)
        passwords = data / PASSWORDS
        assert _mode(passwords) == 0o600
        # The CLI logs in as forewarn-cli from that file, and is told the impact.
        code, out, err = await _cli(
            env, "book", "--title", "Kernel update", "--impact", "outage", "--hosts", "sto1-cmp-[01-04]",
            "--start", "+2h", "--duration", "1h", "--json",
        )  # fmt: skip
        assert code == 0, err
        assert json.loads(out)["tenants"], out
        # And the CLI's login, the one people hold, cannot forge what only the scheduler says.
        cli = await nats.connect(
            EMBEDDED,
            user="forewarn-cli",
            password=json.loads(passwords.read_text())["cli"],
            inbox_prefix=subjects.inbox_prefix("forewarn-cli"),
            allow_reconnect=False,
        )
        with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
            await cli.jetstream().publish(subjects.CANCELLED, b"{}", timeout=1)
        await cli.close()
    finally:
        up.send_signal(signal.SIGTERM)
        await asyncio.wait_for(up.wait(), 60)
    assert up.returncode == 0, (tmp_path / "up.log").read_text()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)
