"""Scale-out: several notifier (and impact) processes share one durable consumer.

Each service is its own OS process on a real nats-server, the notices go to a
real SMTP server, and the store is SQLite or PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from ..conftest import NatsServer
from ..fleet import make_fleet, stop_fleet
from .smtp import free_port
from .web import metric, scrape

pytestmark = pytest.mark.integration

TENANTS = 1000  # two contacts each: 2,000 notices
NOTIFIERS = ("notifier#1", "notifier#2")


async def test_two_notifiers_split_one_window_and_send_each_notice_once(tmp_path, capsys, db_url) -> None:
    server = NatsServer(tmp_path / "nats")
    server.start()
    fleet = await make_fleet(
        tmp_path, capsys, server.url, tenants=TENANTS, database_url=db_url, FOREWARN_IMPACT_PART_TENANTS="50"
    )
    ports = {name: free_port() for name in NOTIFIERS}
    try:
        await fleet.start("scheduler")
        await fleet.start(
            "impact#1",
            "impact#2",
            *NOTIFIERS,
            env={name: {"FOREWARN_METRICS_PORT": str(port)} for name, port in ports.items()},
        )
        await fleet.book(start="+2d", duration="2h")
        expected = {(contact, "scheduled", 1) for contact in fleet.contacts}
        assert len(expected) == 2 * TENANTS

        received = fleet.mail.handler.received
        deadline = asyncio.get_running_loop().time() + 180
        while set(received) < expected:
            assert asyncio.get_running_loop().time() < deadline, f"{len(expected - set(received))} missing"
            await asyncio.sleep(0.5)
        await asyncio.sleep(2)  # a notice sent twice would arrive by now

        assert set(received) == expected
        assert Counter(received.values()) == {1: len(expected)}, "some notice arrived twice"
        scraped = {name: await asyncio.to_thread(scrape, port) for name, port in ports.items()}
        sent = "forewarn_notices_total"
        shares = {name: int(metric(m, sent, kind="scheduled", state="sent")) for name, m in scraped.items()}
        fleet.say(f"\n[two notifiers] {len(expected)} notices, each once: " + ", ".join(
            f"{name} sent {n}" for name, n in shares.items()
        ))  # fmt: skip
        assert sum(shares.values()) == len(expected)
        assert all(n > 0 for n in shares.values()), shares
    finally:
        await stop_fleet(fleet)
        server.stop()
