"""The embedded bus of an earlier release, where every login shared one account, upgrades in place.

The streams such a release made sit in the server's global account. At its next
start `forewarn up` moves them into the services' account, and the scheduler
makes the front's view, which mirrors MAINT from its first message: nothing
stored before is lost, and its sequence numbers stay what they were.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import nats
import pytest

from forewarn.schemas import subjects
from forewarn.services.bus.embedded import EmbeddedNats, passwords
from forewarn.services.bus.stream import FRONT_API, declare_streams

from ..integration.smtp import free_port

pytestmark = pytest.mark.integration


async def _login(server: EmbeddedNats, name: str = "", password: str = "") -> nats.NATS:
    who = {"user": f"forewarn-{name}", "password": password} if name else {}
    inbox = {"inbox_prefix": subjects.inbox_prefix(f"forewarn-{name}")} if name else {}
    return await nats.connect(server.url, allow_reconnect=False, connect_timeout=2, **who, **inbox)


async def test_an_earlier_single_account_store_moves_into_the_services_account(tmp_path: Path) -> None:
    data = tmp_path / "data"
    # The earlier store: one account for every login (no users here gives the same: `$G`).
    earlier = EmbeddedNats(data, free_port(), users=False)
    earlier.start()
    try:
        nc = await _login(earlier)
        js = nc.jetstream()
        await declare_streams(js)
        stored = [await js.publish(subjects.SCHEDULED, f'{{"n": {n}}}'.encode()) for n in range(3)]
        await nc.close()
    finally:
        earlier.stop()
    assert (data / "jetstream" / "jetstream" / "$G" / "streams" / subjects.STREAM).is_dir()

    upgraded = EmbeddedNats(data, free_port())
    upgraded.start()
    try:
        made = passwords(data)
        scheduler = await _login(upgraded, "scheduler", made["scheduler"])
        await declare_streams(scheduler.jetstream(), scheduler.jetstream(prefix=FRONT_API))
        info = await scheduler.jetstream().stream_info(subjects.STREAM)
        assert info.state.last_seq == stored[-1].seq and info.state.messages == 3
        await scheduler.close()
        page = await _login(upgraded, "statuspage", made["statuspage"])
        view = page.jetstream()
        for _ in range(100):  # the mirror catches up at once, but on its own
            if (await view.stream_info(subjects.VIEW_STREAM)).state.messages == 3:
                break
            await asyncio.sleep(0.1)
        for ack in stored:
            assert (
                await view.get_msg(subjects.VIEW_STREAM, ack.seq)
            ).data == f'{{"n": {ack.seq - 1}}}'.encode()
        await page.close()
    finally:
        upgraded.stop()
    assert not (data / "jetstream" / "jetstream" / "$G").exists()
