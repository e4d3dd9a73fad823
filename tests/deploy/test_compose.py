"""compose.yaml, started with podman as an operator starts it, and used through its own containers.

The stack runs forewarn's image as `make image` builds it from this tree, with the
three-node NATS cluster, PostgreSQL and a mail catcher of compose.yaml (local
stand-ins where their images cannot be pulled: tests/deploy/containers.py). The
inventory is loaded and a window booked through the cli container; the invitation
reaches the catcher and the window the status page; one NATS node is killed before
the window starts, and the start and the completion still come through.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from forewarn.services.bus.accounts import ADMIN, USERS

from ..integration.smtp import free_port
from .containers import ROOT, other_image, podman, until
from .kube import passwords as nats_passwords

pytestmark = pytest.mark.integration
PODMAN_COMPOSE = str(Path(sys.executable).with_name("podman-compose"))


@dataclass
class Stack:
    project: str
    env: dict[str, str]
    status_page: str
    catcher: str

    def compose(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        command = [PODMAN_COMPOSE, "--project-name", self.project, *args]
        done = subprocess.run(
            command, capture_output=True, text=True, env=self.env, cwd=ROOT, timeout=timeout
        )
        assert done.returncode == 0, (
            f"podman-compose {' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
        return done

    def cli(self, *args: str, timeout: float = 300) -> str:
        # The cli service's profile only here: `up` must not start it.
        return self.compose(
            "--profile", "cli", "run", "--rm", "--no-deps", "-T", "cli", *args, timeout=timeout
        ).stdout

    def container(self, service: str) -> str:
        labels = [f"label=com.docker.compose.{key}={value}" for key, value in
                  (("project", self.project), ("service", service))]  # fmt: skip
        found = podman(
            "ps", "--all", "--format", "{{.Names}}", *(f for label in labels for f in ("--filter", label))
        )
        return found.stdout.split()[0]

    def logs(self) -> str:
        names = podman(
            "ps",
            "--all",
            "--format",
            "{{.Names}}",
            "--filter",
            f"label=com.docker.compose.project={self.project}",
        )
        return "\n".join(f"== {name}\n{podman('logs', '--tail', '15', name, check=False).stderr}"
                         for name in names.stdout.split())  # fmt: skip


def _up_arguments() -> list[str]:
    """podman before 4.6 cannot wait for a health check, and its --requires would start the
    one-shots (the NATS config, the migrations) again with every service; there the
    containers start in compose's order without it: the services wait for NATS and the
    database themselves, and restart until the migrations are done."""
    version = tuple(
        int(part) for part in podman("version", "--format", "{{.Client.Version}}").stdout.split(".")[:2]
    )
    return ["--no-deps"] if version < (4, 6) else []


@pytest.fixture(scope="module")
def stack(image: str) -> Iterator[Stack]:
    passwords = nats_passwords()
    assert set(passwords) == {user.env for user in (*USERS, ADMIN)}
    status_port, catcher_port = free_port(), free_port()
    env = os.environ | passwords | {
        "CONTAINERS_CONF": str(ROOT / "deploy" / "containers.conf"),
        "FOREWARN_IMAGE": image,
        "NATS_IMAGE": other_image("NATS_IMAGE", "nats"),
        "POSTGRES_IMAGE": other_image("POSTGRES_IMAGE", "postgres"),
        "MAILPIT_IMAGE": other_image("MAILPIT_IMAGE", "mailpit"),
        "FOREWARN_DB_PASSWORD": "compose-test-db-password",
        "FOREWARN_MIN_LEAD": "0s",
        "STATUS_PAGE_PORT": str(status_port),
        "MAILPIT_PORT": str(catcher_port),
    }  # fmt: skip
    stack = Stack(
        f"forewarn-test-{os.getpid()}",
        env,
        f"http://127.0.0.1:{status_port}",
        f"http://127.0.0.1:{catcher_port}",
    )
    try:
        stack.compose("up", "--detach", *_up_arguments())
        try:
            stack.cli("wait", "--timeout", "3m", timeout=240)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{stack.logs()}") from None
        yield stack
    finally:
        down = [PODMAN_COMPOSE, "--project-name", stack.project, "down", "--volumes", "--timeout", "5"]
        subprocess.run(down, capture_output=True, env=env, cwd=ROOT, timeout=300)


def test_a_booking_through_compose_invites_shows_and_survives_a_nats_node(stack: Stack) -> None:
    assert "loaded" in stack.cli("inventory", "load", "/app/examples/inventory.yaml")
    booking = ["--title", "Kernel update", "--impact", "outage", "--hosts", "sto1-cmp-01"]
    booked = json.loads(
        stack.cli("book", *booking, "--start", "+50s", "--duration", "20s", "--short", "--json")
    )
    tenants = {tenant["name"] for tenant in booked["affected"]}
    assert tenants, booked

    notices = until(lambda: [m for m in _mails(stack) if "Kernel update" in m["Subject"]])
    # People get a calendar request; automation the same event without a METHOD.
    methods = set()
    for notice in notices:
        raw = _get(f"{stack.catcher}/api/v1/message/{notice['ID']}/raw")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        calendars = [
            part.get_content() for part in message.walk() if part.get_content_type() == "text/calendar"
        ]
        assert calendars, f"no calendar in {notice['Subject']}"
        methods |= {"REQUEST" if "METHOD:REQUEST" in calendar else "none" for calendar in calendars}
    assert "REQUEST" in methods
    page = json.loads(_get(f"{stack.status_page}/api/v2/scheduled-maintenances.json"))
    [window] = [w for w in page["scheduled_maintenances"] if w["name"] == "Kernel update"]
    assert window["status"] == "scheduled"
    assert not any(name in json.dumps(page) for name in tenants), "the public page names a tenant"

    # One node of three down before the window starts: R3 streams and consumers carry on.
    podman("kill", stack.container("nats-2"))
    statuses = until(
        lambda: _updates(stack, window["id"]) >= {"in_progress", "completed"} or None, timeout=180
    )
    assert statuses
    reports = until(lambda: [m for m in _mails(stack) if m["Subject"].startswith("[Report] Kernel update")])
    assert reports[0]["To"][0]["Address"] == "noc@cloud.example.net"
    assert (
        podman("inspect", "--format", "{{.State.Running}}", stack.container("nats-2")).stdout.strip()
        == "false"
    )


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return answer.read()


def _mails(stack: Stack) -> list[dict]:
    return json.loads(_get(f"{stack.catcher}/api/v1/messages"))["messages"]


def _updates(stack: Stack, window: str) -> set[str]:
    page = json.loads(_get(f"{stack.status_page}/api/v2/scheduled-maintenances.json"))
    return {
        u["status"]
        for w in page["scheduled_maintenances"]
        if w["id"] == window
        for u in w["incident_updates"]
    }
