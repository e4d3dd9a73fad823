"""One real OpenStack per test session, started by the repo's own script (tests/openstack/cloud.sh)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import suppress

import nats
import pytest
from nats.js.errors import NotFoundError

from forewarn.schemas import subjects

from ..integration.conftest import smtp  # noqa: F401  (a real SMTP server, as the integration tests use)
from .testcloud import Cloud, start, stop


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    """The test cloud, started once: about a minute, which no test should pay twice."""
    state = tmp_path_factory.mktemp("openstack")
    try:
        started = start(state)
    except RuntimeError as exc:
        stop()
        pytest.fail(str(exc), pytrace=False)
    print(f"\nthe test cloud started and filled in {started.started_in:.0f} s")
    yield started
    stop()


@pytest.fixture
def cloud_env(cloud: Cloud, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Cloud:
    """The CLI's environment: the cloud's clouds.yaml, and a store of its own."""
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(cloud.clouds_yaml))
    monkeypatch.setenv("FOREWARN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("FOREWARN_DATABASE_URL", raising=False)
    monkeypatch.setenv("FOREWARN_OPENSTACK_CLOUDS", "forewarn-admin")
    for name in ("OS_CLOUD", "OS_AUTH_URL", "OS_USERNAME", "OS_PASSWORD", "OS_PROJECT_NAME"):
        monkeypatch.delenv(name, raising=False)
    return cloud


@pytest.fixture
async def bus(cloud_env: Cloud, nats_server, monkeypatch):
    """A fresh set of streams on the session's nats-server, and a subscription to InventoryChanged."""
    monkeypatch.setenv("FOREWARN_NATS_URL", nats_server.url)
    monkeypatch.setenv("FOREWARN_OPENSTACK_NOTIFICATIONS", cloud_env.notifications_url)
    # Only the sync at start: every later change must come from a notification.
    monkeypatch.setenv("FOREWARN_OPENSTACK_SYNC_INTERVAL", "10h")
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    for name in (subjects.VIEW_STREAM, *subjects.STREAM_SUBJECTS):
        with suppress(NotFoundError):
            await js.delete_stream(name)
    seen: list[tuple[float, dict]] = []

    async def collect(msg) -> None:
        seen.append((time.monotonic(), json.loads(msg.data)))

    await nc.subscribe(subjects.INVENTORY_CHANGED, cb=collect)
    yield seen
    await nc.close()
