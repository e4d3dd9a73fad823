"""Fixtures for the fault suite: a fleet of service processes on one server or a cluster."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ..conftest import NatsServer
from ..fleet import Fleet, make_fleet, stop_fleet
from .cluster import NatsCluster


@pytest.fixture
async def fleet(tmp_path: Path, capsys) -> AsyncIterator[Fleet]:
    """The services on one nats-server."""
    server = NatsServer(tmp_path / "nats")
    server.start()
    fleet = await make_fleet(tmp_path, capsys, server.url)
    fleet.nats = server
    try:
        yield fleet
    finally:
        await stop_fleet(fleet)
        server.stop()


@pytest.fixture
async def cluster_fleet(tmp_path: Path, capsys) -> AsyncIterator[Fleet]:
    """The services on a three-node cluster, the stream and its consumers replicated three times."""
    cluster = NatsCluster(tmp_path / "cluster")
    await cluster.start()
    fleet = await make_fleet(
        tmp_path, capsys, cluster.url, FOREWARN_STREAM_REPLICAS="3", FOREWARN_PUBLISH_TIMEOUT="10"
    )
    fleet.cluster = cluster
    try:
        yield fleet
    finally:
        await stop_fleet(fleet)
        cluster.stop()
