"""`forewarn run inventory` against a real cloud: Nova's own notifications keep the store current."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import urllib.request

import pytest

from ..integration.conftest import eventually, running
from .testcloud import Cloud, stored

pytestmark = pytest.mark.openstack


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
        await eventually(lambda: stored() == cloud_env.servers_now(), timeout=30, interval=1)
        began = time.monotonic()
        server = await asyncio.to_thread(cloud_env.boot, "follow-1", "silent", "cmp-01")
        at, event = await _changed(bus, server, "added")
        assert event["hosts"] == ["cmp-01"] and event["event_type"] == "instance.create.end"
        assert stored()[server] == ("cmp-01", cloud_env.projects["silent"])
        print(f"\nboot to InventoryChanged: {at - began:.1f}s (the boot itself included)")

        await asyncio.to_thread(cloud_env.migrate, server, "cmp-02")
        _, event = await _changed(bus, server, "moved")
        assert event["hosts"] == ["cmp-01", "cmp-02"]
        await eventually(lambda: stored()[server][0] == "cmp-02", timeout=10)

        await asyncio.to_thread(cloud_env.admin.compute.delete_server, server)
        await _changed(bus, server, "removed")
        await eventually(lambda: server not in stored(), timeout=10)
        assert stored() == cloud_env.servers_now()


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
        await eventually(lambda: stored() == cloud_env.servers_now(), timeout=30, interval=1)
    # Down: the cloud goes on, and forewarn's own queue keeps what Nova says meanwhile.
    kept = await asyncio.to_thread(cloud_env.boot, "while-down-1", "beta", "cmp-02")
    gone = await asyncio.to_thread(cloud_env.boot, "while-down-2", "gamma", "cmp-03")
    await asyncio.to_thread(cloud_env.delete, gone)
    assert _queued("forewarn-inventory.forewarn-admin") > 0
    async with running("scheduler", "inventory"):
        await eventually(lambda: _queued("forewarn-inventory.forewarn-admin") == 0, timeout=30)
        await eventually(lambda: stored() == cloud_env.servers_now(), timeout=30, interval=1)
    assert kept in stored() and gone not in stored()
    await asyncio.to_thread(cloud_env.delete, kept)


async def test_a_notification_bus_that_refuses_leaves_syncs_going_and_health_says_so(
    cloud_env: Cloud, bus: list, monkeypatch, caplog
) -> None:
    monkeypatch.setenv("FOREWARN_OPENSTACK_NOTIFICATIONS", "amqp://fwos:wrong@127.0.0.1:5672/fwos")
    monkeypatch.setenv("FOREWARN_METRICS_PORT", "0")
    async with running("scheduler", "inventory") as stack:
        await eventually(lambda: stored() == cloud_env.servers_now(), timeout=30, interval=1)
        base = stack.ops.address

        def get(path: str) -> bytes:
            # In a thread: the ops server answers on this test's own event loop.
            with urllib.request.urlopen(base + path, timeout=5) as response:
                assert response.status == 200
                return response.read()

        async def troubles() -> dict | None:
            return json.loads(await asyncio.to_thread(get, "/health")).get("troubles")

        body = await eventually(troubles, timeout=15)
        assert body == {
            "openstack:forewarn-admin:notifications": "notification bus unreachable; full syncs only"
        }
        metrics = (await asyncio.to_thread(get, "/metrics")).decode()
        assert 'forewarn_openstack_notification_bus_up{cloud="forewarn-admin"} 0.0' in metrics
        assert 'forewarn_openstack_last_sync_timestamp_seconds{cloud="forewarn-admin"}' in metrics
    said = [r.getMessage() for r in caplog.records if "notification bus" in r.getMessage()]
    assert said and "amqp://fwos:***@127.0.0.1:5672/fwos" in said[0] and "wrong" not in " ".join(said)
