"""The test cloud's contents, made through openstacksdk as an operator would make them.

Four compute hosts in two availability zones (sto1: cmp-01, cmp-02; sto2:
cmp-03, cmp-04), cmp-04 also in a `gpu` aggregate with `forewarn:role=gpu`;
four projects, three with users holding the contact role and one with none;
twelve servers pinned to hosts.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import openstack
from sqlalchemy import select
from sqlmodel import Session

from forewarn.services.inventory.models import Resource
from forewarn.services.platform.config import CommonSettings
from forewarn.services.platform.db import create_db_engine

HERE = Path(__file__).resolve().parent
CLOUD = "forewarn-admin"
CONTACT_ROLE = "maintenance-contact"
ZONES = {"sto1": ["cmp-01", "cmp-02"], "sto2": ["cmp-03", "cmp-04"]}
PROJECTS = {
    # name: (tags, contacts as (user, email))
    "alpha": (
        ["forewarn:locale=sv"],
        [("alice", "alice@alpha.example")],
    ),
    "beta": ([], [("bob", "bob@beta.example"), ("bea", "bea@beta.example")]),
    "gamma": (["forewarn:mode=notice"], [("gus", "gus@gamma.example")]),
    "silent": ([], []),
}
# server name: (project, host)
SERVERS = {
    "alpha-web-1": ("alpha", "cmp-01"),
    "alpha-web-2": ("alpha", "cmp-02"),
    "alpha-db": ("alpha", "cmp-03"),
    "beta-app-1": ("beta", "cmp-01"),
    "beta-app-2": ("beta", "cmp-03"),
    "beta-gpu": ("beta", "cmp-04"),
    "gamma-1": ("gamma", "cmp-02"),
    "gamma-2": ("gamma", "cmp-02"),
    "gamma-3": ("gamma", "cmp-04"),
    "silent-1": ("silent", "cmp-03"),
    "silent-2": ("silent", "cmp-04"),
    "silent-3": ("silent", "cmp-01"),
}


@dataclass
class Cloud:
    """A running test cloud and what it holds."""

    state: Path
    admin: openstack.connection.Connection
    projects: dict[str, str] = field(default_factory=dict)  # name: id
    servers: dict[str, str] = field(default_factory=dict)  # name: id
    image: str = ""
    flavor: str = ""
    started_in: float = 0.0

    @property
    def clouds_yaml(self) -> Path:
        return self.state / "clouds.yaml"

    @property
    def notifications_url(self) -> str:
        """The RabbitMQ URL of Nova's notifications (its own vhost)."""
        line = (self.state / "env").read_text().strip()
        return line.split("=", 1)[1]

    def servers_now(self) -> dict[str, tuple[str, str]]:
        """Every server on a host, as Nova lists it: id → (host, project)."""
        return {
            s.id: (s.compute_host, s.project_id)
            for s in self.admin.compute.servers(details=True, all_projects=True)
            if s.compute_host  # on no host: nothing maintenance could touch, so not in the store
        }

    def scoped(self, project: str) -> openstack.connection.Connection:
        """A connection as admin in one project, to boot its servers there."""
        auth = dict(
            openstack.config.OpenStackConfig(config_files=[str(self.clouds_yaml)]).get_one(CLOUD).auth
        )
        auth.pop("project_name", None)
        auth.pop("project_domain_name", None)
        return openstack.connect(
            auth_url=auth["auth_url"],
            username=auth["username"],
            password=auth["password"],
            user_domain_name="Default",
            project_id=self.projects[project],
            region_name="RegionOne",
        )

    def boot(self, name: str, project: str, host: str, *, wait: bool = True) -> str:
        """A server of the project pinned to the host; its id."""
        conn = self.scoped(project)
        zone = next(z for z, hosts in ZONES.items() if host in hosts)
        server = conn.compute.create_server(
            name=name,
            image_id=self.image,
            flavor_id=self.flavor,
            networks="none",
            availability_zone=f"{zone}:{host}",
        )
        if wait:
            conn.compute.wait_for_server(server, wait=120, interval=0.5)
        self.servers[name] = server.id
        return server.id

    def migrate(self, server_id: str, host: str, *, attempts: int = 3) -> None:
        """Live-migrate a server to the host and wait until Nova has it there.

        Asked at microversion 2.68, so Nova answers 202 at once and the conductor
        does the work. openstacksdk asks at 2.30, where nova-api holds an RPC call
        open for the whole migration; on a loaded machine that call timed out and
        the API answered 500 although nothing was wrong with the cloud. A
        migration Nova gives up on (the server back ACTIVE on its old host) is
        asked again, and the last failure is named.
        """
        compute = self.admin.compute
        for _ in range(attempts):
            response = compute.post(
                f"/servers/{server_id}/action",
                json={"os-migrateLive": {"host": host, "block_migration": "auto"}},
                microversion="2.68",
            )
            openstack.exceptions.raise_from_response(response)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                server = compute.get_server(server_id)
                if server.task_state is None and server.status == "ACTIVE":
                    if server.compute_host == host:
                        return
                    break
                time.sleep(0.5)
        tried = [m.status for m in compute.migrations(instance_uuid=server_id)]
        raise AssertionError(f"{server_id} not on {host} after {attempts} live migrations: {tried}")

    def delete(self, server_id: str) -> None:
        """Delete a server and wait until Nova no longer lists it: the next test starts clean."""
        compute = self.admin.compute
        compute.delete_server(server_id)
        compute.wait_for_delete(compute.get_server(server_id), wait=120, interval=0.5)


def start(state: Path, hosts: int = 4) -> Cloud:
    """Start the cloud with cloud.sh and fill it; stop() it at the end."""
    began = time.monotonic()
    result = subprocess.run(
        ["bash", str(HERE / "cloud.sh"), "start", str(state), str(hosts)],
        capture_output=True,
        text=True,
        env={**os.environ, "VENV_PY": sys.executable},
    )
    if result.returncode:
        logs = "\n".join(
            f"--- {p.name}\n" + "\n".join(p.read_text(errors="replace").splitlines()[-15:])
            for p in sorted((state / "log").glob("*.log"))
        )
        raise RuntimeError(f"the test cloud did not start:\n{result.stderr[-3000:]}\n{logs[-6000:]}")
    admin = openstack.connection.Connection(
        config=openstack.config.OpenStackConfig(config_files=[str(state / "clouds.yaml")]).get_one(CLOUD)
    )
    cloud = Cloud(state=state, admin=admin)
    fill(cloud)
    cloud.started_in = time.monotonic() - began
    return cloud


def stop() -> None:
    subprocess.run(["bash", str(HERE / "cloud.sh"), "stop"], check=False)


def fill(cloud: Cloud) -> None:
    conn = cloud.admin
    for zone, hosts in ZONES.items():
        aggregate = conn.compute.create_aggregate(name=f"az-{zone}", availability_zone=zone)
        for host in hosts:
            conn.compute.add_host_to_aggregate(aggregate, host)
    gpu = conn.compute.create_aggregate(name="gpu")
    conn.compute.set_aggregate_metadata(gpu, {"forewarn:role": "gpu"})
    conn.compute.add_host_to_aggregate(gpu, "cmp-04")
    cloud.flavor = conn.compute.create_flavor(name="m1.tiny", ram=64, vcpus=1, disk=0).id
    image = conn.image.create_image(
        name="tiny", data=b"\0" * 512, disk_format="raw", container_format="bare", visibility="public"
    )
    cloud.image = image.id
    role = conn.identity.create_role(name=CONTACT_ROLE)
    admin_role = conn.identity.find_role("admin")
    admin_user = conn.identity.find_user("admin")
    for name, (tags, contacts) in PROJECTS.items():
        # A tag cannot hold the "/" of a time zone: a property can.
        zone = {"forewarn_timezone": "Europe/Stockholm"} if name == "alpha" else {}
        project = conn.identity.create_project(name=name, domain_id="default", tags=tags, **zone)
        cloud.projects[name] = project.id
        # Room for the drift test's burst of twenty boots in one project.
        conn.set_compute_quotas(project.id, instances=40, cores=40, ram=40 * 1024)
        conn.identity.assign_project_role_to_user(project, admin_user, admin_role)
        for user_name, email in contacts:
            user = conn.identity.create_user(name=user_name, email=email, domain_id="default", password="x")
            conn.identity.assign_project_role_to_user(project, user, role)
    for name, (project, host) in SERVERS.items():
        cloud.boot(name, project, host, wait=False)
    for name in SERVERS:
        conn.compute.wait_for_server(conn.compute.get_server(cloud.servers[name]), wait=180, interval=0.5)


def stored() -> dict[str, tuple[str, str]]:
    """The servers the store holds: id → (host, tenant)."""
    engine = create_db_engine(CommonSettings().db_url)
    with Session(engine) as session:
        found = {r.id: (r.host, r.tenant) for r in session.scalars(select(Resource))}
    engine.dispose()
    return found
