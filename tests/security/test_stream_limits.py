"""A runaway stops at the stream's limit, not at a full disk.

A reader's login may create consumers on the view, and the server does not
check where a push consumer delivers: the CLI's login can make one that
delivers the view's messages onto a subject MAINT stores, which the view
mirrors and the consumer delivers again. Every stream now has limits; this
test starts such a loop with the CLI's production login, seeded with a message
that has no id (as the server's own advisories have none), and finds MAINT
within its limit while the disk is far from full. (The limit itself is shown
refusing messages in tests/integration/test_retention.py.)
"""

from __future__ import annotations

import asyncio
import json
import shutil

import pytest

from forewarn.schemas import subjects

from .conftest import STREAM_MAX_BYTES, Bus

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="package")]
LOOP = "maint.report.loop"


async def test_a_delivery_loop_stops_at_the_streams_limit(bus: Bus) -> None:
    admin = await bus.login("admin")
    js = admin.jetstream()
    # A message with no id, as the server stores its advisories: its copies are no duplicates.
    await js.publish(LOOP, b'{"seed": 1}')
    cli = await bus.login("cli")
    config = {"deliver_subject": LOOP, "filter_subject": "maint.>", "deliver_policy": "all"}
    config["ack_policy"] = "none"
    request = {"stream_name": subjects.VIEW_STREAM, "config": config}
    answer = await cli.request(
        f"$JS.API.CONSUMER.CREATE.{subjects.VIEW_STREAM}", json.dumps(request).encode()
    )
    created = json.loads(answer.data)
    try:
        sizes = []
        for _ in range(40):
            await asyncio.sleep(0.5)
            sizes.append((await js.stream_info(subjects.STREAM)).state.bytes)
            if len(sizes) > 4 and sizes[-1] == sizes[-4]:
                break  # it stopped growing
        print(f"\nMAINT while the loop ran: {[s // 1024 for s in sizes]} KiB")
        assert sizes[-1] <= STREAM_MAX_BYTES
        assert shutil.disk_usage(bus.fleet.tmp).free > 1024**3
    finally:
        if "config" in created:
            await js.delete_consumer(subjects.VIEW_STREAM, created["name"])
        await js.purge_stream(subjects.STREAM, subject=LOOP)
        await admin.close()
        await cli.close()
    await bus.book()  # room again: the next booking mails every contact
