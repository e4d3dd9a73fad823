"""A delivery loop through a front login's consumer never reaches the services' streams.

The server does not check where a push consumer delivers, and a front login
may create consumers on its view. Before, a reader's consumer could deliver the
view's messages onto a subject MAINT stores, which the view mirrored and the
consumer delivered again, until the disk was full. Now its deliveries stay in
the front's account, and the one subject each front login writes into the
services' account cannot loop: the CLI's commands are not mirrored into the
view, and the status page's requests to record an answer are checked by the
reporter, which stores nothing that is not an answer. This test starts the loop
with each login, seeded with a message that has no id (as the server's own
answers have none), and finds MAINT unchanged. Every stream has limits as well
(FOREWARN_STREAM_MAX_BYTES), shown refusing messages in
tests/integration/test_retention.py.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from forewarn.schemas import subjects
from forewarn.services.bus.stream import FRONT_API

from .conftest import Bus

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


LOOPS = [
    ("cli", SEED),
    ("cli", subjects.BOOK),
    ("statuspage", subjects.RECORD_ANSWER),
    ("statuspage", subjects.REPLY_RECEIVED),
]


@pytest.mark.parametrize(("login", "onto"), LOOPS)
async def test_a_delivery_loop_never_reaches_the_services_streams(bus: Bus, login: str, onto: str) -> None:
    admin = await bus.login("admin")
    js, front = admin.jetstream(), admin.jetstream(prefix=FRONT_API)
    # A message with no id, as the server's answers have none: its copies are no duplicates.
    await js.publish(SEED, b'{"seed": 1}')
    start = (await js.stream_info(subjects.STREAM)).state.bytes
    commands = (await js.stream_info(subjects.COMMAND_STREAM)).state.messages
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
        print(f"\nMAINT while {login}'s loop onto {onto} ran: {sizes} bytes")
        assert sizes[-1] == start
        assert (await js.stream_info(subjects.COMMAND_STREAM)).state.messages == commands
        if onto == subjects.RECORD_ANSWER:  # the reporter listens: every copy reached it, and was refused
            consumer = await front.consumer_info(subjects.VIEW_STREAM, created["name"])
            assert consumer.delivered.consumer_seq > 1 and not consumer.num_pending
    finally:
        await front.delete_consumer(subjects.VIEW_STREAM, created["name"])
        for where, stream in ((js, subjects.STREAM), (front, subjects.VIEW_STREAM)):
            await where.purge_stream(stream, subject=SEED)
        await reader.close()
    await bus.book()  # and the next booking mails every contact
    assert (await js.stream_info(subjects.COMMAND_STREAM)).state.messages == commands + 1
    await admin.close()
