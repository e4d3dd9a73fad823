"""What the deploy tests share: podman as `make image` runs it, forewarn's image, stand-ins.

No registry answers on the machines these tests run on, so where an official image
(NATS, PostgreSQL, Mailpit) cannot be pulled, `other_image` builds a local stand-in
from the same software's packages (tests/deploy/standins/) and says so.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[2]
STANDINS = Path(__file__).with_name("standins")
IMAGE = "localhost/forewarn:test"
T = TypeVar("T")
# Debian 12 with what the stand-ins run: PostgreSQL, Python's aiosmtpd, wget for NATS's check.
STANDIN_BASE = "localhost/forewarn-standin-base:bookworm"
STANDIN_PACKAGES = "postgresql,python3-aiosmtpd,wget,ca-certificates"


def preflight() -> None:
    """Each tool the deploy tests need, or one line saying what is missing and how to get it."""
    for tool in ("podman", "runc", "mmdebstrap", "catatonit"):
        assert shutil.which(tool), f"{tool} is missing: `make container-tools` installs it"
    backend = podman("info", "--format", "{{.Host.NetworkBackend}}").stdout.strip()
    assert backend != "cni" or Path("/usr/lib/cni/dnsname").exists(), (
        "podman's CNI networks have no DNS here (no dnsname plugin): `make container-tools` installs it"
    )


def podman(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    """podman with the project's settings (runc, limits within the machine's)."""
    env = os.environ | {"CONTAINERS_CONF": str(ROOT / "deploy" / "containers.conf")}
    done = subprocess.run(["podman", *args], capture_output=True, text=True, env=env, timeout=timeout)
    assert not check or done.returncode == 0, f"podman {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


def forewarn_image() -> str:
    """`make image`, from this tree, tagged IMAGE; podman's cache makes a second build quick."""
    built = subprocess.run(
        [str(ROOT / "deploy" / "image.sh")], capture_output=True, text=True, timeout=600,
        env=os.environ | {"IMAGE": IMAGE}, cwd=ROOT,
    )  # fmt: skip
    assert built.returncode == 0, f"make image failed:\n{built.stderr}"
    return built.stdout.strip()


def compose_default(variable: str) -> str:
    """The image compose.yaml runs when VARIABLE is unset."""
    text = (ROOT / "compose.yaml").read_text()
    found = re.search(r"\$\{" + variable + r":-([^}]+)\}", text)
    assert found, f"compose.yaml has no default for {variable}"
    return found.group(1)


def other_image(variable: str, standin: str) -> str:
    """compose.yaml's image for VARIABLE if it can be had here, else the local stand-in."""
    official = compose_default(variable)
    if podman("image", "exists", official, check=False).returncode == 0:
        return official
    if podman("pull", "--quiet", official, check=False, timeout=60).returncode == 0:
        return official
    name = f"localhost/forewarn-standin-{standin}:test"
    warnings.warn(f"{official} cannot be pulled here: using a stand-in, {name}", stacklevel=2)
    _standin_base()
    with tempfile.TemporaryDirectory() as context:
        for file in STANDINS.iterdir():
            shutil.copy(file, context)
        if standin == "nats":
            shutil.copy(_nats_server(), Path(context) / "nats-server")
        podman("build", "--quiet", "--format", "docker", "--file", f"{standin}.Containerfile",
               "--build-arg", f"BASE={STANDIN_BASE}", "--tag", name, context, timeout=300)  # fmt: skip
    return name


def _standin_base() -> None:
    if podman("image", "exists", STANDIN_BASE, check=False).returncode == 0:
        return
    with tempfile.TemporaryDirectory() as folder:
        rootfs = Path(folder) / "rootfs.tar"
        debian = ["mmdebstrap", "--quiet", "--variant=apt", f"--include={STANDIN_PACKAGES}", "bookworm"]
        subprocess.run([*debian, str(rootfs)], check=True, capture_output=True, timeout=300)
        path = "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        podman("import", "--quiet", "--change", path, str(rootfs), STANDIN_BASE, timeout=300)


def _nats_server() -> str:
    from forewarn.services.bus.embedded import nats_server_binary

    return str(nats_server_binary())


def until(condition: Callable[[], T], timeout: float = 60) -> T:
    """The first true answer of CONDITION, asked every half second, within TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    while not (answer := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)
    return answer
