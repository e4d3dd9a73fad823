"""FOREWARN_OPENSTACK_DISABLE_HOSTS against a real cloud: nothing new lands on a host under maintenance."""

from __future__ import annotations

import asyncio

import pytest

from ..integration.conftest import cli_json, eventually, running
from .testcloud import Cloud, stored

pytestmark = pytest.mark.openstack


def _service(cloud: Cloud, host: str):
    [service] = cloud.admin.compute.services(binary="nova-compute", host=host)
    return service


async def _is(cloud: Cloud, host: str, status: str) -> bool:
    """Whether the host's compute service is so, asked off the event loop the services run on."""
    return (await asyncio.to_thread(_service, cloud, host)).status == status


async def test_a_window_disables_its_hosts_and_leaves_one_disabled_before_as_it_was(
    cloud_env: Cloud, bus: list, monkeypatch
) -> None:
    monkeypatch.setenv("FOREWARN_OPENSTACK_DISABLE_HOSTS", "1")
    compute = cloud_env.admin.compute
    # Someone took cmp-02 out before the window: forewarn must leave it so, at the start and the end.
    compute.disable_service(
        _service(cloud_env, "cmp-02"), host="cmp-02", binary="nova-compute", disabled_reason="hardware check"
    )
    try:
        async with running("scheduler", "impact", "inventory"):
            await eventually(lambda: asyncio.to_thread(_synced, cloud_env), timeout=30, interval=1)
            booked = await cli_json(
                "book",
                "--title",
                "Firmware",
                "--impact",
                "outage",
                "--hosts",
                "cmp-[01-02]",
                "--start",
                "+2s",
                "--duration",
                "1h",
            )
            wid = booked["id"]
            await eventually(lambda: _is(cloud_env, "cmp-01", "disabled"), timeout=30)
            assert _service(cloud_env, "cmp-01").disabled_reason == f"forewarn {wid}: Firmware"
            assert _service(cloud_env, "cmp-02").disabled_reason == "hardware check"

            # A server booted without a host pin does not land on the host under maintenance.
            placed = await asyncio.to_thread(_boot_anywhere, cloud_env, "placed-by-nova")
            assert placed not in ("cmp-01", "cmp-02")

            # Each host is recorded just after Nova takes its change: wait for both records.
            async def recorded() -> dict | None:
                shown = await cli_json("show", wid)
                return shown if len(shown["compute_services"]) == 2 else None

            shown = await eventually(recorded, timeout=60, interval=0.5)
            states = {s["host"]: s["state"] for s in shown["compute_services"]}
            assert states == {
                "cmp-01": "disabled by forewarn",
                "cmp-02": "was disabled before the window, left as it was",
            }

            await cli_json("complete", wid)
            await eventually(lambda: _is(cloud_env, "cmp-01", "enabled"), timeout=30)
            assert _service(cloud_env, "cmp-02").status == "disabled"
            assert _service(cloud_env, "cmp-02").disabled_reason == "hardware check"
    finally:
        # Whatever happened above, the next test finds every host open.
        for host in ("cmp-01", "cmp-02"):
            if _service(cloud_env, host).status == "disabled":
                compute.enable_service(_service(cloud_env, host), host=host, binary="nova-compute")


def _synced(cloud: Cloud) -> bool:
    return stored() == cloud.servers_now()


def _boot_anywhere(cloud: Cloud, name: str) -> str:
    conn = cloud.scoped("beta")
    server = conn.compute.create_server(
        name=name, image_id=cloud.image, flavor_id=cloud.flavor, networks="none"
    )
    server = conn.compute.wait_for_server(server, wait=120, interval=0.5)
    host = cloud.admin.compute.get_server(server.id).compute_host
    cloud.delete(server.id)
    return host
