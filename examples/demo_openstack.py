"""`make demo-openstack`: the OpenStack story, against the test cloud of tests/openstack.

It starts a small real OpenStack (Keystone, Placement, Glance, Nova with the
fake driver) with tests/openstack/cloud.sh, syncs forewarn's inventory from
it, books a window on one compute host, boots a server of a project not yet
affected onto that host (its invitation follows from Nova's own notification),
and watches the window start, with the host's compute service disabled, and
complete, with it enabled again. Every process it starts, the cloud included,
is stopped before it exits.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path

from demo import (
    console,
    forewarn,
    free_port,
    show_inbox,
    show_report,
    start_up,
    status_line,
    stop,
    wait_until_up,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.openstack import testcloud  # noqa: E402  (the test cloud, as the tests build it)

FOREWARN = str(Path(sys.executable).with_name("forewarn"))
HOST = "cmp-02"


def main() -> None:
    data = Path(tempfile.mkdtemp(prefix="forewarn-demo-openstack-"))
    console.rule("[bold]forewarn and OpenStack")
    console.print(f"data folder: {data}\nstarting the test cloud (a minute or two)…")
    cloud = testcloud.start(data / "cloud")
    up = None
    try:
        console.print(f"the cloud is up and filled in {cloud.started_in:.0f} s: {_servers(cloud)}")
        _environment(data, cloud)
        console.rule("What the cloud holds, as forewarn reads it")
        forewarn("inventory", "sync", "openstack", "--dry-run")
        forewarn("inventory", "sync", "openstack")
        forewarn("inventory", "hosts")

        console.print("\n[bold cyan]$ forewarn up[/]  (in the background; it follows Nova's notifications)")
        up = start_up(data / "up.log")
        wait_until_up(up, data / "up.log")

        console.rule(f"A window on {HOST}: alpha and gamma have servers there")
        booked = forewarn(
            "book", "--title", f"{HOST}: BIOS update", "--impact", "outage", "--hosts", HOST,
            "--start", "+75s", "--duration", "45s", "--short",
        )  # fmt: skip
        window_id = booked.stdout.split("Window ", 1)[1].split()[0]

        console.rule(f"beta boots a server onto {HOST}: beta is told, from Nova's notification")
        began = time.monotonic()
        server = cloud.boot("beta-newcomer", "beta", HOST)
        console.print(f"server {server} is active on {HOST} after {time.monotonic() - began:.1f} s")
        arrived = _wait_for_mail(data / "inbox", "bob@beta.example", timeout=60)
        console.print(
            f"beta's invitation arrived {time.monotonic() - began:.1f} s after the boot request: {arrived}"
        )

        console.rule(f"At the start, forewarn disables {HOST}'s compute service")
        _wait_for(lambda: _state(window_id) == "in_progress", "the window to start", timeout=120)
        _wait_for(lambda: _service(cloud).startswith("nova-compute disabled"), "Nova to disable the host")
        console.print(f"Nova now says of {HOST}: {_service(cloud)}")
        status_line(os.environ["FOREWARN_STATUS_URL"])
        forewarn("show", window_id)

        console.rule("At the end, it enables the service again")
        _wait_for(lambda: _state(window_id) == "completed", "the window to complete", timeout=120)
        _wait_for(lambda: _service(cloud) == "nova-compute enabled", "Nova to enable the host")
        console.print(f"Nova now says of {HOST}: {_service(cloud)}")
        show_report(window_id)
    finally:
        began = time.monotonic()
        stop(up)
        console.print(f"forewarn stopped in {time.monotonic() - began:.1f} s")
        testcloud.stop()
    show_inbox(data / "inbox")
    console.print(f"`forewarn up`'s log: {data / 'up.log'}")
    console.rule("[green]demo finished: forewarn and the cloud stopped")


def _environment(data: Path, cloud: testcloud.Cloud) -> None:
    """How an operator points forewarn at a cloud: clouds.yaml, the cloud's name, Nova's RabbitMQ."""
    os.environ.update(
        {
            "FOREWARN_DATA_DIR": str(data),
            "OS_CLIENT_CONFIG_FILE": str(cloud.clouds_yaml),
            "FOREWARN_OPENSTACK_CLOUDS": testcloud.CLOUD,
            "FOREWARN_OPENSTACK_NOTIFICATIONS": cloud.notifications_url,
            "FOREWARN_OPENSTACK_DISABLE_HOSTS": "1",
            "FOREWARN_DRIFT_DEBOUNCE": "3s",
            "FOREWARN_STATUS_PORT": str(free_port()),
        }
    )
    os.environ["FOREWARN_STATUS_URL"] = f"http://127.0.0.1:{os.environ['FOREWARN_STATUS_PORT']}"
    for name in ("FOREWARN_NATS_URL", "FOREWARN_DATABASE_URL", "OS_CLOUD", "OS_AUTH_URL"):
        os.environ.pop(name, None)


def _servers(cloud: testcloud.Cloud) -> str:
    hosts = sorted({host for host, _ in cloud.servers_now().values()})
    return f"{len(cloud.servers_now())} servers on {', '.join(hosts)}"


def _service(cloud: testcloud.Cloud) -> str:
    [service] = cloud.admin.compute.services(host=HOST, binary="nova-compute")
    return f"nova-compute {service.status}" + (
        f" ({service.disabled_reason})" if service.disabled_reason else ""
    )


def _state(window_id: str) -> str:
    shown = forewarn("show", window_id, "--json", quiet=True)
    return json.loads(shown.stdout)["status"]


def _wait_for(check: Callable[[], bool], what: str, *, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"waited {timeout:.0f} s for {what}")
        time.sleep(1)


def _wait_for_mail(inbox: Path, recipient: str, *, timeout: float) -> Path:
    """The first mail in the demo inbox to this recipient."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(inbox.glob("*.eml")):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if message["To"] and message["To"].addresses[0].addr_spec == recipient:
                return path
        time.sleep(0.5)
    raise SystemExit(f"no mail to {recipient} within {timeout:.0f} s")


if __name__ == "__main__":
    main()
