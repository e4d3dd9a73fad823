"""forewarn as it ships: the sdist and the wheel built from a clean tree, installed into a fresh venv.

Nothing here imports the checkout: the committed tree is exported with `git
archive`, built with `python -m build` (the wheel from the sdist, so the sdist
is shown complete too), and installed, not editable, into a venv of its own.
From there `forewarn up` runs the whole stack, and a booking's invitation
reaches a real SMTP server.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from ..integration.smtp import Inbox, free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The venv forewarn's wheel was installed into; its bin/ holds `forewarn`."""
    here = tmp_path_factory.mktemp("shipped")
    tree, dist, venv = here / "tree", here / "dist", here / "venv"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "HEAD"], capture_output=True, check=True)
    with tarfile.open(fileobj=__import__("io").BytesIO(archive.stdout)) as tar:
        tar.extractall(tree, filter="data")
    _run(sys.executable, "-m", "build", "--outdir", str(dist), str(tree))
    [wheel] = dist.glob("forewarn-*.whl")
    [sdist] = dist.glob("forewarn-*.tar.gz")
    assert sdist.stat().st_size > 0
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
    on_disk = {p.parent.relative_to(ROOT).as_posix() for p in (ROOT / "services").rglob("__init__.py")}
    for package in on_disk:
        assert f"forewarn/{package}/__init__.py" in names, f"{package} is not in the wheel"
    for data in (
        "forewarn/templates/notice.html.j2",
        "forewarn/schemas/asyncapi.json",
        "forewarn/services/runtime/migrations/script.py.mako",
        "forewarn/calendars/christmas-freeze.ics",
    ):
        assert data in names, data  # fmt: skip
    _run(sys.executable, "-m", "venv", str(venv))
    _run(str(venv / "bin" / "pip"), "install", "--quiet", str(wheel))
    return venv / "bin"


def _run(*command: str, **options) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, **options)
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}\n{done.stderr}"
    return done


def test_the_installed_command_answers(installed: Path) -> None:
    assert "Maintenance windows" in _run(str(installed / "forewarn"), "--help").stdout
    version = _run(str(installed / "forewarn"), "--version").stdout.strip()
    assert version.startswith("forewarn ") and version.split()[1][0].isdigit(), version


async def test_forewarn_up_from_the_wheel_invites_a_tenant(installed: Path, tmp_path: Path) -> None:
    inbox = Inbox()
    mail = Controller(inbox, hostname="127.0.0.1", port=free_port())
    mail.start()
    forewarn = str(installed / "forewarn")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FOREWARN_", "VIRTUAL_ENV"))} | {
        "FOREWARN_DATA_DIR": str(tmp_path / "data"),
        "FOREWARN_SMTP_HOST": "127.0.0.1",
        "FOREWARN_SMTP_PORT": str(mail.port),
        "FOREWARN_STATUS_PORT": str(free_port()),
        "FOREWARN_REMINDERS": "",
        "NO_COLOR": "1",
    }
    # Outside the checkout, so that nothing of it can be imported by accident.
    options = {"env": env, "cwd": str(tmp_path)}
    _run(forewarn, "inventory", "load", str(ROOT / "examples" / "inventory.yaml"), **options)
    log, said = tmp_path / "up.log", tmp_path / "up.out"
    with said.open("wb") as out:
        up = await asyncio.create_subprocess_exec(
            forewarn, "up", "--log-file", str(log), stdout=out, stderr=out, **options
        )
    try:
        deadline = asyncio.get_running_loop().time() + 90
        while b"forewarn is up" not in said.read_bytes():
            assert up.returncode is None, said.read_text() + log.read_text()
            assert asyncio.get_running_loop().time() < deadline, log.read_text()
            await asyncio.sleep(0.2)
        booked = _run(
            forewarn, "book", "--title", "Kernel update", "--impact", "outage", "--hosts", "sto1-cmp-01",
            "--start", "+2h", "--duration", "1h", "--json", **options,
        )  # fmt: skip
        assert '"tenants"' in booked.stdout
        while not inbox.of_kind("Maintenance scheduled"):
            assert asyncio.get_running_loop().time() < deadline + 60, log.read_text()
            await asyncio.sleep(0.2)
    finally:
        up.send_signal(signal.SIGTERM)
        await asyncio.wait_for(up.wait(), 60)
        mail.stop()
    assert up.returncode == 0, log.read_text()
    # The services' log went to the file; the terminal kept only what `up` says to its user.
    assert " INFO    forewarn." in log.read_text() and " INFO " not in said.read_text()
    [invitation, *_] = inbox.of_kind("Maintenance scheduled")
    assert any(part.get_content_type() == "text/calendar" for part in invitation.walk())
