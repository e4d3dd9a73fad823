"""An OpenStack inventory sync at scale, against the floor: openstacksdk listing the same things.

1. Starts the test cloud (tests/openstack/cloud.sh, HOSTS compute hosts with
   the fake driver), makes 20 projects with a contact each, and boots SERVERS
   servers spread over every host (in batches, with min_count).
2. Times a full `forewarn inventory sync` (read, map, diff, write) into a fresh
   SQLite store, and the floor: openstacksdk listing the compute services,
   aggregates, every project's servers, projects, users and role assignments
   and nothing else. Each runs in a child process of its own, so peak RSS is
   its own; both run at half the servers and at all of them, to show how
   memory grows.
3. Runs `forewarn run inventory` (a process of its own) on a fresh
   nats-server, boots and deletes NOTICES servers, and times each notification
   from its arrival on RabbitMQ (a queue of the bench's own on Nova's exchange)
   to its InventoryChanged on NATS.

    python bench/sync.py [--hosts 10] [--servers 1000] [--notices 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fanout import free_port, start_service, until_running  # noqa: E402
from tests.openstack.testcloud import CLOUD, CONTACT_ROLE, Cloud, stop  # noqa: E402

PROJECTS = 20


def start_cloud(state: Path, hosts: int) -> Cloud:
    """The test cloud with HOSTS hosts in two zones, a flavor, an image, projects with contacts."""
    import openstack

    began = time.monotonic()
    subprocess.run(
        ["bash", str(ROOT / "tests/openstack/cloud.sh"), "start", str(state), str(hosts)],
        check=True,
        env={**os.environ, "VENV_PY": sys.executable},
        stdout=subprocess.DEVNULL,
    )
    config = openstack.config.OpenStackConfig(config_files=[str(state / "clouds.yaml")]).get_one(CLOUD)
    admin = openstack.connection.Connection(config=config)
    cloud = Cloud(state=state, admin=admin)
    names = [f"cmp-{n:02d}" for n in range(1, hosts + 1)]
    for zone, members in (("sto1", names[: hosts // 2]), ("sto2", names[hosts // 2 :])):
        aggregate = admin.compute.create_aggregate(name=f"az-{zone}", availability_zone=zone)
        for host in members:
            admin.compute.add_host_to_aggregate(aggregate, host)
    cloud.flavor = admin.compute.create_flavor(name="m1.tiny", ram=64, vcpus=1, disk=0).id
    cloud.image = admin.image.create_image(
        name="tiny", data=b"\0" * 512, disk_format="raw", container_format="bare", visibility="public"
    ).id
    role = admin.identity.create_role(name=CONTACT_ROLE)
    admin_role = admin.identity.find_role("admin")
    admin_user = admin.identity.find_user("admin")
    for n in range(PROJECTS):
        project = admin.identity.create_project(name=f"p{n:02d}", domain_id="default")
        cloud.projects[project.name] = project.id
        admin.identity.assign_project_role_to_user(project, admin_user, admin_role)
        # The fake driver has room for thousands; Nova's default quota is ten servers.
        admin.set_compute_quotas(project.id, instances=-1, cores=-1, ram=-1)
        user = admin.identity.create_user(
            name=f"ops-{n:02d}", email=f"ops@p{n:02d}.example", domain_id="default", password="x"
        )
        admin.identity.assign_project_role_to_user(project, user, role)
    print(f"cloud of {hosts} hosts up and filled in {time.monotonic() - began:.0f} s", flush=True)
    return cloud


def boot(cloud: Cloud, count: int, hosts: int, prefix: str) -> None:
    """COUNT servers, spread over every host and project, in one request per host."""
    began = time.monotonic()
    per_host = -(-count // hosts)
    for n in range(hosts):
        host = f"cmp-{n + 1:02d}"
        zone = "sto1" if n < hosts // 2 else "sto2"
        conn = cloud.scoped(f"p{n % PROJECTS:02d}")
        conn.compute.post(
            "/servers",
            json={
                "server": {
                    "name": f"{prefix}-{host}",
                    "imageRef": cloud.image,
                    "flavorRef": cloud.flavor,
                    "networks": "none",
                    "availability_zone": f"{zone}:{host}",
                    "min_count": per_host,
                    "max_count": per_host,
                }
            },
            microversion="2.37",
        ).raise_for_status()
    expected = per_host * hosts
    while True:
        # Nova filters by name (a regular expression): this process, which also takes the
        # latency test's timestamps, parses only these servers.
        mine = list(cloud.admin.compute.servers(details=True, all_projects=True, name=f"^{prefix}-"))
        if len(mine) >= expected and all(s.status in ("ACTIVE", "ERROR") for s in mine):
            break
        time.sleep(2)
    servers = mine
    print(f"booted {len(servers)} servers in {time.monotonic() - began:.0f} s", flush=True)


def delete_all(cloud: Cloud, prefix: str) -> None:
    """Delete the servers whose names start with the prefix, one request each."""
    for server in list(cloud.admin.compute.servers(all_projects=True, name=f"^{prefix}-")):
        cloud.admin.compute.delete_server(server)


def measure(kind: str, state: Path) -> dict:
    """Run one side in a child process: {seconds, rss_mib, servers}."""
    out = subprocess.run(
        [sys.executable, __file__, "--measure", kind, "--state", str(state)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "OS_CLIENT_CONFIG_FILE": str(state / "clouds.yaml")},
    ).stdout
    return json.loads(out.splitlines()[-1])


def measure_forewarn(state: Path) -> dict:
    from forewarn.services.inventory.cloud import sync_cloud
    from forewarn.services.inventory.openstack import Conventions
    from forewarn.services.platform.db import create_db_engine
    from forewarn.services.runtime.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        engine = create_db_engine(f"sqlite:///{tmp}/forewarn.db")
        upgrade(engine)
        began = time.perf_counter()
        result = sync_cloud(engine, CLOUD, Conventions())
        took = time.perf_counter() - began
    return {"seconds": took, "servers": result.counts()["resources"]["added"]}


def measure_floor(state: Path) -> dict:
    import openstack

    began = time.perf_counter()
    conn = openstack.connect(cloud=CLOUD)
    list(conn.compute.services(binary="nova-compute"))
    list(conn.compute.aggregates())
    servers = list(conn.compute.servers(details=True, all_projects=True))
    list(conn.identity.projects())
    list(conn.identity.users())
    role = conn.identity.find_role(CONTACT_ROLE)
    list(conn.identity.role_assignments(role_id=role.id))
    return {"seconds": time.perf_counter() - began, "servers": len(servers)}


async def notification_latency(cloud: Cloud, hosts: int, count: int) -> list[float]:
    """Seconds from each notification's arrival on RabbitMQ to its InventoryChanged on NATS.

    The inventory runs as `forewarn run inventory`, a process of its own as in
    production. This process only takes the two timestamps and drives the cloud
    from a thread: in one interpreter with the inventory, openstacksdk's parsing
    held up the very notifications being timed.
    """
    import nats
    from faststream.rabbit import RabbitBroker, RabbitQueue

    from forewarn.schemas import subjects
    from forewarn.services.bus.embedded import EmbeddedNats
    from forewarn.services.inventory.notifications import GONE, PLACED
    from forewarn.services.inventory.service import NOVA_EXCHANGE, ROUTING_KEY

    # The timestamps wait for the GIL while the cloud's thread holds it: switch often.
    sys.setswitchinterval(0.0005)
    url = (cloud.state / "env").read_text().strip().split("=", 1)[1]
    arrived: dict[str, float] = {}
    published: dict[str, float] = {}
    rabbit = RabbitBroker(url)

    @rabbit.subscriber(
        RabbitQueue("bench-arrivals", auto_delete=True, routing_key=ROUTING_KEY), NOVA_EXCHANGE
    )
    async def arrival(body: dict) -> None:
        inner = json.loads(body["oslo.message"])
        if inner["event_type"] in PLACED | GONE:
            arrived[inner["message_id"]] = time.monotonic()

    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedNats(Path(tmp) / "nats", free_port(), users=False)
        server.start()
        env = os.environ | {
            "FOREWARN_NATS_URL": server.url,
            "FOREWARN_DATA_DIR": tmp,
            "FOREWARN_OPENSTACK_CLOUDS": CLOUD,
            "FOREWARN_OPENSTACK_NOTIFICATIONS": url,
            "FOREWARN_OPENSTACK_SYNC_INTERVAL": "10h",
            "OS_CLIENT_CONFIG_FILE": str(cloud.state / "clouds.yaml"),
        }
        nc = await nats.connect(server.url)

        async def changed(msg) -> None:
            key = msg.headers["Nats-Msg-Id"].rsplit(".", 1)[-1]
            published[key] = time.monotonic()

        await nc.subscribe(subjects.INVENTORY_CHANGED, cb=changed)
        services = []
        for name in ("scheduler", "inventory"):  # the scheduler first: it declares the streams
            log = Path(tmp) / f"{name}.log"
            services.append(start_service(name, env | {"FOREWARN_LOG_LEVEL": "info"}, log))
            await until_running(name, services[-1], log)
        await rabbit.start()
        try:
            log = Path(tmp) / "inventory.log"
            while b"inventory sync of" not in log.read_bytes():  # the first sync is done
                await asyncio.sleep(0.2)
            await asyncio.to_thread(boot, cloud, count, hosts, "latency")
            await asyncio.to_thread(delete_all, cloud, "latency")
            deadline = time.monotonic() + 120
            while len(published) < 2 * count and time.monotonic() < deadline:
                await asyncio.sleep(1)
        finally:
            await rabbit.stop()
            for process in services:
                process.terminate()
                process.wait(timeout=30)
            await nc.close()
            server.stop()
    return [published[k] - arrived[k] for k in published if k in arrived]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--notices", type=int, default=100)
    parser.add_argument("--measure", choices=("forewarn", "floor"))
    parser.add_argument("--state", type=Path)
    args = parser.parse_args()
    if args.measure:
        result = (measure_forewarn if args.measure == "forewarn" else measure_floor)(args.state)
        result["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "cloud"
        cloud = start_cloud(state, args.hosts)
        try:
            rows = []
            for step, n in enumerate((args.servers // 2, args.servers - args.servers // 2)):
                boot(cloud, n, args.hosts, f"s{step}")
                ours = [measure("forewarn", state) for _ in range(3)]
                floor = [measure("floor", state) for _ in range(3)]
                rows.append((ours, floor))
            print(
                f"\n{'servers':>8} {'forewarn':>10} {'floor':>8} {'ratio':>6} {'RSS':>13} {'RSS floor':>10}"
            )
            for ours, floor in rows:
                t_ours = statistics.median(r["seconds"] for r in ours)
                t_floor = statistics.median(r["seconds"] for r in floor)
                rss, rss_floor = (max(r["rss_mib"] for r in side) for side in (ours, floor))
                print(
                    f"{ours[0]['servers']:>8,} {t_ours:>9.2f}s {t_floor:>7.2f}s {t_ours / t_floor:>5.2f}x "
                    f"{rss:>9.0f} MiB {rss_floor:>6.0f} MiB"
                )
            latencies = asyncio.run(notification_latency(cloud, args.hosts, args.notices))
        finally:
            stop()
    ms = sorted(x * 1000 for x in latencies)
    p50, p99 = statistics.median(ms), ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"\nnotifications: {len(ms)} changes, arrival on RabbitMQ to InventoryChanged on NATS")
    ours, floor = rows[-1]
    t_ours = statistics.median(r["seconds"] for r in ours)
    t_floor = statistics.median(r["seconds"] for r in floor)
    print(
        f"sync: {ours[0]['servers']} servers, forewarn {t_ours:.2f} s, floor {t_floor:.2f} s "
        f"(ratio {t_ours / t_floor:.2f}), RSS {max(r['rss_mib'] for r in ours):.0f} MiB; "
        f"notification p50 {p50:.0f} ms, p99 {p99:.0f} ms"
    )


if __name__ == "__main__":
    main()
