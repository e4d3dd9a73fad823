"""Ready means ready: a stack that is starting says so, and a script can wait for it.

`forewarn list` answers from the store before the scheduler has made its
streams, so a script that booked as soon as `list` answered was told to start
a scheduler that was starting. Now `forewarn wait` waits until a booking would
go through, a booking waits for the streams before it says the scheduler is
not running, and each service's `/health/ready` is 503 until the streams and
its consumers exist, while `/health` (live) is 200 from the moment NATS answers.
"""

from __future__ import annotations

import asyncio
import json
import os
import urllib.error
import urllib.request

import pytest

from forewarn.services.runtime.stack import Stack

from .conftest import cli_json, run_cli, running
from .smtp import free_port

pytestmark = pytest.mark.integration


def _get(port: int, path: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


async def test_wait_tells_a_starting_stack_from_a_missing_one(env, js, monkeypatch) -> None:
    early = await run_cli("wait", "--timeout", "1s")
    assert early.code == 1 and "not ready after 1s" in early.err and "stream MAINT_COMMANDS" in early.err
    booked = await run_cli("book", "--title", "x", "--impact", "outage", "--hosts", "sto1-cmp-01",
                           "--start", "+2d", "--duration", "1h", "--timeout", "2")  # fmt: skip
    assert (
        booked.code == 1 and "no scheduler has made stream" in booked.err and "is it running?" in booked.err
    )

    # A resolver started before the scheduler: live, not ready, and it says what is missing.
    port = free_port()
    monkeypatch.setenv("FOREWARN_METRICS_PORT", str(port))
    impact = Stack(["impact"])
    starting = asyncio.create_task(impact.start())
    try:
        while impact.ops is None:
            await asyncio.sleep(0.1)
        live, body = await asyncio.to_thread(_get, port, "/health")
        ready, said = await asyncio.to_thread(_get, port, "/health/ready")
        assert live == 200 and body["status"] == "ok" and not body["ready"]
        assert ready == 503 and any("stream" in m for m in said["missing"]), said
        # The events' documentation is the operator's, on this port, and names the server really used.
        found, doc = await asyncio.to_thread(_get, port, "/docs/asyncapi.json")
        used = os.environ["FOREWARN_NATS_URL"].removeprefix("nats://")
        assert found == 200 and [s["host"] for s in doc["servers"].values()] == [used]
        assert "maint.cmd.book" in {c["address"] for c in doc["channels"].values()}
        monkeypatch.delenv("FOREWARN_METRICS_PORT")
        waiting = asyncio.create_task(run_cli("wait", "--timeout", "60s", "--json"))
        async with running("scheduler", "notifier"):
            await starting
            assert (await waiting).code == 0
            ready, said = await asyncio.to_thread(_get, port, "/health/ready")
            assert ready == 200 and said["ready"], said
            booked = await cli_json(
                "book", "--title", "Kernel update", "--impact", "outage", "--hosts", "sto1-cmp-01",
                "--start", "+2d", "--duration", "1h",
            )  # fmt: skip
            assert booked["tenants"]
    finally:
        starting.cancel()
        await impact.stop()


async def test_wait_keeps_asking_a_server_whose_jetstream_does_not_answer(monkeypatch, tmp_path) -> None:
    """As a cluster electing its leader answers at first: `wait` says so, not a traceback."""
    import subprocess

    from forewarn.services.bus.embedded import nats_server_binary

    port = free_port()
    # No -js: every JetStream request goes unanswered.
    server = subprocess.Popen([nats_server_binary(), "-a", "127.0.0.1", "-p", str(port)])
    try:
        monkeypatch.setenv("FOREWARN_NATS_URL", f"nats://127.0.0.1:{port}")
        result = await run_cli("wait", "--timeout", "3s")
        assert result.code == 1, result.err
        assert "not ready after 3s: JetStream did not answer" in result.err
        assert "Traceback" not in result.err
    finally:
        server.terminate()
        server.wait(timeout=10)
