"""`forewarn run inventory` against a real cloud: Nova's own notifications keep the store current."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from contextlib import suppress

import nats
import pytest
from nats.js.errors import NotFoundError
from sqlalchemy import select
from sqlmodel import Session

from forewarn.schemas import subjects
from forewarn.services.config import CommonSettings
from forewarn.services.db import create_db_engine
from forewarn.services.inventory.models import Resource

from ..integration.conftest import eventually, running
from .testcloud import Cloud

pytestmark = pytest.mark.openstack


def _stored() -> dict[str, tuple[str, str]]:
    engine = create_db_engine(CommonSettings().db_url)
    with Session(engine) as session:
        found = {r.id: (r.host, r.tenant) for r in session.scalars(select(Resource))}
    engine.dispose()
    return found


@pytest.fixture
async def bus(cloud_env: Cloud, nats_server, monkeypatch):
    """A fresh set of streams on the session's nats-server, and a subscription to InventoryChanged."""
    monkeypatch.setenv("FOREWARN_NATS_URL", nats_server.url)
    monkeypatch.setenv("FOREWARN_OPENSTACK_NOTIFICATIONS", cloud_env.notifications_url)
    # Only the sync at start: every later change must come from a notification.
    monkeypatch.setenv("FOREWARN_OPENSTACK_SYNC_INTERVAL", "10h")
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    for name in (subjects.VIEW_STREAM, *subjects.STREAM_SUBJECTS):
        with suppress(NotFoundError):
            await js.delete_stream(name)
    seen: list[tuple[float, dict]] = []

    async def collect(msg) -> None:
        seen.append((time.monotonic(), json.loads(msg.data)))

    await nc.subscribe(subjects.INVENTORY_CHANGED, cb=collect)
    yield seen
    await nc.close()


async def _changed(seen: list, server_id: str, change: str, timeout: float = 30) -> tuple[float, dict]:
    def found():
        for at, event in seen:
            if event["cause"] == "notification" and {"id": server_id, "change": change} in [
                {"id": c["id"], "change": c["change"]} for c in event["changes"]
            ]:
                return at, event
        return None

    return await eventually(found, timeout=timeout)


async def test_a_boot_a_move_and_a_delete_reach_the_store_from_nova_notifications(
    cloud_env: Cloud, bus: list
) -> None:
    async with running("scheduler", "inventory"):
        await eventually(lambda: _stored() == cloud_env.servers_now(), timeout=30, interval=1)
        began = time.monotonic()
        server = await asyncio.to_thread(cloud_env.boot, "follow-1", "silent", "cmp-01")
        at, event = await _changed(bus, server, "added")
        assert event["hosts"] == ["cmp-01"] and event["event_type"] == "instance.create.end"
        assert _stored()[server] == ("cmp-01", cloud_env.projects["silent"])
        print(f"\nboot to InventoryChanged: {at - began:.1f}s (the boot itself included)")

        await asyncio.to_thread(
            cloud_env.admin.compute.live_migrate_server, server, host="cmp-02", block_migration="auto"
        )
        _, event = await _changed(bus, server, "moved")
        assert event["hosts"] == ["cmp-01", "cmp-02"]
        await eventually(lambda: _stored()[server][0] == "cmp-02", timeout=10)

        await asyncio.to_thread(cloud_env.admin.compute.delete_server, server)
        await _changed(bus, server, "removed")
        await eventually(lambda: server not in _stored(), timeout=10)
        assert _stored() == cloud_env.servers_now()


def _queued(queue: str) -> int:
    out = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "-p", "fwos", "name", "messages"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    counts = dict(line.split() for line in out.splitlines() if line.strip())
    return int(counts.get(queue, 0))


async def test_changes_made_while_forewarn_is_down_are_not_missed(cloud_env: Cloud, bus: list) -> None:
    async with running("scheduler", "inventory"):
        await eventually(lambda: _stored() == cloud_env.servers_now(), timeout=30, interval=1)
    # Down: the cloud goes on, and forewarn's own queue keeps what Nova says meanwhile.
    kept = await asyncio.to_thread(cloud_env.boot, "while-down-1", "beta", "cmp-02")
    gone = await asyncio.to_thread(cloud_env.boot, "while-down-2", "gamma", "cmp-03")
    await asyncio.to_thread(cloud_env.admin.compute.delete_server, gone)
    await asyncio.to_thread(cloud_env.admin.compute.wait_for_delete, cloud_env.admin.compute.get_server(gone))
    assert _queued("forewarn-inventory.forewarn-admin") > 0
    async with running("scheduler", "inventory"):
        await eventually(lambda: _queued("forewarn-inventory.forewarn-admin") == 0, timeout=30)
        await eventually(lambda: _stored() == cloud_env.servers_now(), timeout=30, interval=1)
    assert kept in _stored() and gone not in _stored()
