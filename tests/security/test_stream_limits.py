"""A runaway stops at the stream's limit, not at a full disk.

The server does not check where a push consumer delivers, and a front login
may create consumers on its view. Its deliveries stay in the front's account,
so the CLI's login can no longer feed MAINT at all. The status page's login
can still aim one at the one subject it writes, `maint.reply.received`: MAINT
stores each copy, the view mirrors it, the consumer delivers it again. This
test starts that loop with the production logins, seeded with a message that
has no id (as the server's own answers have none), finds MAINT within its limit
while the disk is far from full, and ends it as an operator would (README,
"When a stream is full"). The limit itself is shown refusing messages in
tests/integration/test_retention.py.
"""

from __future__ import annotations

import asyncio
import json
import shutil

import pytest

from forewarn.schemas import subjects
from forewarn.services.bus.stream import FRONT_API

from .conftest import STREAM_MAX_BYTES, Bus

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="package")]
SEED = "maint.report.loop"


async def _sizes(js, *, rounds: int = 120) -> list[int]:
    """MAINT's size every half second, until it stops growing."""
    sizes: list[int] = []
    for _ in range(rounds):
        await asyncio.sleep(0.5)
        sizes.append((await js.stream_info(subjects.STREAM)).state.bytes)
        if len(sizes) > 4 and sizes[-1] == sizes[-4]:
            break
    return sizes


@pytest.mark.parametrize(("login", "onto"), [("cli", SEED), ("statuspage", subjects.REPLY_RECEIVED)])
async def test_a_delivery_loop_stops_at_the_streams_limit(bus: Bus, login: str, onto: str) -> None:
    admin = await bus.login("admin")
    js, front = admin.jetstream(), admin.jetstream(prefix=FRONT_API)
    # A message with no id, as the server's answers have none: its copies are no duplicates.
    await js.publish(SEED, b'{"seed": 1}')
    start = (await js.stream_info(subjects.STREAM)).state.bytes
    reader = await bus.login(login)
    config = {
        "deliver_subject": onto,
        "filter_subject": "maint.>",
        "deliver_policy": "all",
        "ack_policy": "none",
    }
    answer = await reader.request(
        f"$JS.API.CONSUMER.CREATE.{subjects.VIEW_STREAM}",
        json.dumps({"stream_name": subjects.VIEW_STREAM, "config": config}).encode(),
    )
    created = json.loads(answer.data)
    assert "config" in created, created  # readers may: in their own account
    try:
        sizes = await _sizes(js)
        print(f"\nMAINT while {login}'s loop ran: {[s // 1024 for s in sizes]} KiB")
        if login == "cli":
            assert sizes[-1] == start  # its deliveries never leave the front
        else:
            assert start < sizes[-1] <= STREAM_MAX_BYTES and sizes[-1] == sizes[-4]  # full, and stopped
        assert shutil.disk_usage(bus.fleet.tmp).free > 1024**3
    finally:
        await front.delete_consumer(subjects.VIEW_STREAM, created["name"])
        for where, stream in ((js, subjects.STREAM), (front, subjects.VIEW_STREAM)):
            for subject in (SEED, subjects.REPLY_RECEIVED):
                await where.purge_stream(stream, subject=subject)
        await admin.close()
        await reader.close()
    await bus.book()  # room again: the next booking mails every contact
