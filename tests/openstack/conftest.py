"""One real OpenStack per test session, started by the repo's own script (tests/openstack/cloud.sh)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
