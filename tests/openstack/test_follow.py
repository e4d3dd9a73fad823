"""`forewarn run inventory` against a real cloud: Nova's own notifications keep the store current."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import urllib.request
import uuid
from contextlib import suppress

import pytest
from faststream.rabbit import RabbitBroker

from forewarn.services.inventory.service import NOVA_EXCHANGE

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


def _nova(event_type: str, server: str, project: str, host: str) -> bytes:
    """A notification as Nova's messagingv2 driver puts it on the bus: an oslo envelope."""
    data = {"uuid": server, "tenant_id": project, "host": host, "display_name": server[:8]}
    if event_type == "instance.delete.end":
        data["state"] = "deleted"
    inner = {
        "message_id": str(uuid.uuid4()),
        "publisher_id": f"nova-compute:{host}",
        "event_type": event_type,
        "priority": "INFO",
        "payload": {"nova_object.name": "InstanceActionPayload", "nova_object.data": data},
        "timestamp": "2026-11-30 00:00:00.000000",
    }
    return json.dumps({"oslo.version": "2.0", "oslo.message": json.dumps(inner)}).encode()


async def test_a_burst_is_applied_in_the_order_nova_sent_it(cloud_env: Cloud, bus: list) -> None:
    """Twenty servers created and deleted again in one burst: a delete applied before its
    create would leave a server in the store that Nova no longer has."""
    project = cloud_env.projects["beta"]
    burst = [str(uuid.uuid4()) for _ in range(20)]
    async with running("scheduler", "inventory"):
        await eventually(lambda: stored() == cloud_env.servers_now(), timeout=30, interval=1)
        rabbit = RabbitBroker(cloud_env.notifications_url)
        await rabbit.connect()
        try:
            for server in burst:
                for event_type in ("instance.create.end", "instance.delete.end"):
                    body = _nova(event_type, server, project, "cmp-01")
                    await rabbit.publish(
                        body, exchange=NOVA_EXCHANGE, routing_key="versioned_notifications.info"
                    )
        finally:
            await rabbit.stop()

        def told() -> list[tuple[str, str]]:
            """Each change once, in the order first heard: a publish retried after a lost ack
            reaches a plain subscriber twice (JetStream keeps one)."""
            heard = [(c["id"], c["change"]) for _, e in bus for c in e["changes"] if c["id"] in burst]
            return list(dict.fromkeys(heard))

        with suppress(AssertionError):
            await eventually(lambda: len(told()) >= 2 * len(burst), timeout=60)
        heard = {server: [change for s, change in told() if s == server] for server in burst}
        assert heard == {server: ["added", "removed"] for server in burst}
        assert stored() == cloud_env.servers_now()
