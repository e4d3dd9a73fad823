"""The real stack: services in this process, the CLI as a child process, real NATS."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import nats
import nats.errors
import pytest
from aiosmtpd.controller import Controller
from nats.js.errors import NotFoundError

from forewarn.schemas import subjects
from forewarn.services.inventory.load import load_inventory
from forewarn.services.platform.db import create_db_engine
from forewarn.services.runtime.migrate import upgrade
from forewarn.services.runtime.stack import Stack

from .smtp import Inbox, free_port

FOREWARN = str(Path(sys.executable).with_name("forewarn"))

CHROMIUM = Path(os.environ.get("FOREWARN_TEST_CHROMIUM", "/usr/bin/chromium"))
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: the browser test needs Debian's chromium package "
            "(`make browser`, or `apt-get install chromium`), or FOREWARN_TEST_CHROMIUM pointing at one."
        )
    return CHROMIUM


@dataclass
class Result:
    code: int
    out: str
    err: str


async def run_cli(*args: str, timeout: float = 60) -> Result:
    """Run `forewarn ARGS` as a user would, with this test's environment."""
    proc = await asyncio.create_subprocess_exec(
        FOREWARN,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=os.environ | {"COLUMNS": "200", "NO_COLOR": "1"},
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return Result(proc.returncode, out.decode(), err.decode())


async def cli_json(*args: str) -> dict | list:
    """Run a CLI command with --json that must succeed, and return what it printed."""
    result = await run_cli(*args, "--json")
    assert result.code == 0, (args, result.err)
    return json.loads(result.out)


@pytest.fixture
async def js(nats_server) -> AsyncIterator:
    """A JetStream context on an emptied server: each test gets fresh streams."""
    nc = await nats.connect(nats_server.url)
    jsc = nc.jetstream()
    for name in (subjects.VIEW_STREAM, *subjects.STREAM_SUBJECTS):
        with suppress(NotFoundError):
            await jsc.delete_stream(name)
    yield jsc
    await nc.close()


@pytest.fixture
def env(nats_server, db_url, tmp_path, monkeypatch, example_inventory):
    """Environment for the services and the CLI, with the example inventory loaded."""
    monkeypatch.setenv("FOREWARN_NATS_URL", nats_server.url)
    monkeypatch.setenv("FOREWARN_DATABASE_URL", db_url)
    monkeypatch.setenv("FOREWARN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FOREWARN_FREEZE_DIR", str(Path(__file__).resolve().parents[2] / "calendars"))
    engine = create_db_engine(db_url)
    upgrade(engine)
    load_inventory(engine=engine, path=example_inventory)
    yield engine
    engine.dispose()


@asynccontextmanager
async def running(*names: str) -> AsyncIterator[Stack]:
    """Services started in this process for the block, stopped after it."""
    stack = Stack(list(names))
    await stack.start()
    try:
        yield stack
    finally:
        await stack.stop()


@pytest.fixture
async def stack(env, js) -> AsyncIterator[Stack]:
    """Scheduler and impact resolver running on the real server."""
    async with running("scheduler", "impact") as services:
        yield services


async def stream_messages(jsc, subject: str, stream: str = subjects.STREAM) -> list:
    """Every message currently stored on a subject (wildcards allowed)."""
    info = await jsc.stream_info(stream, subjects_filter=subject)
    if not info.state.subjects:
        return []
    sub = await jsc.subscribe(
        subject, stream=stream, ordered_consumer=True, deliver_policy=nats.js.api.DeliverPolicy.ALL
    )
    total = sum(info.state.subjects.values())
    msgs = []
    try:
        for _ in range(total):
            msgs.append(await sub.next_msg(timeout=5))
    except nats.errors.TimeoutError:
        pass  # a message with a time to live can expire between the count and the read
    await sub.unsubscribe()
    return msgs


async def eventually(check, timeout: float = 20.0, interval: float = 0.1):
    """Poll an async or plain check until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


@pytest.fixture
def smtp(monkeypatch):
    """Start a real SMTP server with a handler, and point the notifier at it."""
    controllers = []

    def start(handler: Inbox) -> Inbox:
        port = free_port()
        controllers.append(Controller(handler, hostname="127.0.0.1", port=port))
        controllers[-1].start()
        monkeypatch.setenv("FOREWARN_SMTP_PORT", str(port))
        return handler

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def dovecot():
    """A real IMAP server (Dovecot) with the organizer's mailbox, and its address in the environment."""
    from examples.dovecot import start_dovecot

    try:
        server = start_dovecot("maintenance@cloud.example.net", "imap-test-password")
    except FileNotFoundError as exc:
        pytest.fail(str(exc))
    yield server
    server.stop()
