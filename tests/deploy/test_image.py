"""The image as it ships: built by `make image`, run with a read-only root, stopped by SIGTERM.

`deploy/image.sh` builds it from a wheelhouse made from this tree, on the local
Debian 12 base where no registry answers (as here). The container runs
`forewarn up` as its non-root user, with only its data volume writable, and on
the host's network so it reaches a real SMTP server of the test's: a booking
made in it invites a tenant, its health check turns healthy, and SIGTERM stops
it within 10 s.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from ..integration.smtp import Inbox, free_port
from .containers import ROOT, podman

pytestmark = pytest.mark.integration


def test_the_image_is_small_non_root_and_without_compilers(image: str) -> None:
    assert podman("run", "--rm", "--read-only", image, "--version").stdout.startswith("forewarn ")
    user = podman("image", "inspect", "--format", "{{.Config.User}}", image).stdout.strip()
    assert user == "10001:10001"
    compilers = podman("run", "--rm", "--entrypoint", "sh", image, "-c", "command -v gcc cc c++ || true")
    assert compilers.stdout.strip() == ""
    size = int(podman("image", "inspect", "--format", "{{.Size}}", image).stdout)
    print(f"\nimage {image}: {size / 1e6:.0f} MB")


async def test_forewarn_up_in_the_image_books_and_stops_on_sigterm(image: str, tmp_path: Path) -> None:
    inbox = Inbox()
    mail = Controller(inbox, hostname="127.0.0.1", port=free_port())
    mail.start()
    name = f"forewarn-test-{os.getpid()}"
    metrics = free_port()
    env = {
        "FOREWARN_SMTP_HOST": "127.0.0.1", "FOREWARN_SMTP_PORT": str(mail.port),
        "FOREWARN_STATUS_PORT": str(free_port()), "FOREWARN_METRICS_HOST": "127.0.0.1",
        "FOREWARN_METRICS_PORT": str(metrics), "FOREWARN_REMINDERS": "",
    }  # fmt: skip
    podman("volume", "create", name)
    try:
        podman(
            "run", "--detach", "--name", name, "--read-only", "--network", "host",
            "--volume", f"{name}:/var/lib/forewarn", "--volume", f"{ROOT / 'examples'}:/examples:ro",
            *(arg for key, value in env.items() for arg in ("--env", f"{key}={value}")), image, "up",
        )  # fmt: skip
        await _until(lambda: "forewarn is up" in podman("logs", name).stdout + podman("logs", name).stderr)
        podman("exec", name, "forewarn", "inventory", "load", "/examples/inventory.yaml")
        booked = podman("exec", name, "forewarn", "book", "--title", "Kernel update", "--impact", "outage",
                        "--hosts", "sto1-cmp-01", "--start", "+2h", "--duration", "1h", "--json")  # fmt: skip
        assert '"tenants"' in booked.stdout
        await _until(lambda: inbox.of_kind("Maintenance scheduled"))
        await _until(lambda: podman("healthcheck", "run", name, check=False).returncode == 0)
        began = time.monotonic()
        podman("stop", "--time", "10", name)
        stopped_in = time.monotonic() - began
        code = podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip()
        assert stopped_in < 10 and code == "0", (stopped_in, code, podman("logs", name).stderr[-2000:])
    finally:
        podman("rm", "--force", name, check=False)
        podman("volume", "rm", "--force", name, check=False)
        mail.stop()


async def _until(condition, timeout: float = 240) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.5)
