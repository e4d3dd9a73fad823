"""A window booked on a cloud's host mails exactly the projects with servers there."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from ..integration.conftest import cli_json, eventually, running
from ..integration.smtp import Inbox
from .testcloud import PROJECTS, SERVERS, Cloud, stored

pytestmark = pytest.mark.openstack


async def test_a_window_on_one_host_mails_exactly_the_projects_with_servers_there(
    cloud_env: Cloud, bus: list, smtp
) -> None:
    inbox = smtp(Inbox())
    async with running("scheduler", "impact", "notifier", "inventory"):
        await eventually(lambda: asyncio.to_thread(lambda: stored() == cloud_env.servers_now()), timeout=30)
        await cli_json(
            "book",
            "--title",
            "cmp-03 firmware",
            "--impact",
            "outage",
            "--hosts",
            "cmp-03",
            "--start",
            "+2h",
            "--duration",
            "1h",
        )
        # alpha, beta and silent have servers on cmp-03; silent has nobody to tell.
        on_host = {project for project, host in SERVERS.values() if host == "cmp-03"}
        expected = Counter(email for p in sorted(on_host) for _, email in PROJECTS[p][1])
        assert on_host == {"alpha", "beta", "silent"} and sum(expected.values()) == 3
        await eventually(lambda: len(inbox.messages) >= len(expected), timeout=30)
        await asyncio.sleep(2)  # nobody else gets mail, even a moment later
        assert Counter(m["To"].addresses[0].addr_spec for m in inbox.messages) == expected
