"""`forewarn tail`: a fan-out's notices are one line per window, or one per notice with --verbose."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from pathlib import Path

import pytest

from .conftest import FOREWARN, cli_json, eventually, running
from .smtp import Inbox

pytestmark = pytest.mark.integration


async def _tail(out: Path, *args: str) -> asyncio.subprocess.Process:
    with out.open("wb") as sink:
        return await asyncio.create_subprocess_exec(
            FOREWARN, "tail", *args, stdout=sink, stderr=sink, env=os.environ | {"COLUMNS": "300"}
        )


async def test_a_fan_out_is_one_line_and_verbose_says_to_whom(env, js, smtp, tmp_path) -> None:
    inbox = smtp(Inbox())
    summed, verbose = tmp_path / "tail.out", tmp_path / "verbose.out"
    async with running("scheduler", "impact", "notifier"):
        live = await _tail(summed, "--from-start")
        try:
            booked = await cli_json(
                "book", "--title", "Kernel update", "--impact", "outage",
                "--hosts", "sto1-cmp-[01-04]", "--start", "+2h", "--duration", "1h",
            )  # fmt: skip
            people = sum(t["contacts"] for t in (await cli_json("show", booked["id"]))["affected"])
            await eventually(lambda: len(inbox.messages) == people)
            line = f"{booked['id']} {people} notices ({people} scheduled) to {people} contacts"
            await eventually(lambda: line in summed.read_text(), timeout=10)
        finally:
            live.send_signal(signal.SIGINT)
            await asyncio.wait_for(live.wait(), timeout=10)  # Ctrl-C stops it at once
        assert summed.read_text().count("maint.notice.delivered") == 1

        every = await _tail(verbose, "--from-start", "--verbose")
        try:
            await eventually(lambda: verbose.read_text().count("maint.notice.delivered") == people)
        finally:
            every.send_signal(signal.SIGINT)
            await asyncio.wait_for(every.wait(), timeout=10)
    told = re.findall(r"maint\.notice\.delivered \S+ scheduled to (\S+@\S+) \((\S+)\)", verbose.read_text())
    assert sorted(email for email, _ in told) == sorted(
        m["To"].addresses[0].addr_spec for m in inbox.messages
    )
