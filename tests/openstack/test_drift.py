"""Drift: servers that move under a scheduled window tell exactly the projects that joined or left it."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

import icalendar
import openstack
import pytest

from ..integration.conftest import cli_json, eventually, run_cli, running
from ..integration.smtp import Inbox
from .testcloud import PROJECTS, Cloud, stored

pytestmark = pytest.mark.openstack

SERVICES = ("scheduler", "impact", "notifier", "reporter", "inventory")
# beta-gpu, gamma-3 and silent-2 are on cmp-04: beta and gamma are told at booking, alpha is not.
# (Away from cmp-01 and cmp-02, which other tests migrate between: a burst of boots can keep
# a fake compute host busy for a while.)
HOST = "cmp-04"
NEWCOMER = "alpha"


def _emails(project: str) -> list[str]:
    return [email for _, email in PROJECTS[project][1]]


def _calendar(message) -> icalendar.Calendar:
    for part in message.walk():
        if part.get_filename() == "invite.ics":
            return icalendar.Calendar.from_ical(part.get_content())
    raise AssertionError("no invite.ics")


def _event(message):
    return next(c for c in _calendar(message).walk("VEVENT"))


class Mail:
    """What the inbox got since the last look, by recipient."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self.seen = 0
        self.arrived = 0.0

    async def expect(self, recipients: list[str], *, timeout: float = 30, quiet: float = 3) -> list:
        """Exactly these recipients get one mail each, and nobody else, even a moment later."""
        await eventually(lambda: len(self.inbox.messages) >= self.seen + len(recipients), timeout=timeout)
        self.arrived = time.monotonic()
        await asyncio.sleep(quiet)
        new = self.inbox.messages[self.seen :]
        self.seen = len(self.inbox.messages)
        assert Counter(m["To"].addresses[0].addr_spec for m in new) == Counter(recipients)
        return new


async def test_projects_that_join_or_leave_a_window_are_told_and_nobody_else(
    cloud_env: Cloud, bus: list, smtp, monkeypatch
) -> None:
    monkeypatch.setenv("FOREWARN_DRIFT_DEBOUNCE", "3s")
    mail = Mail(smtp(Inbox()))
    mine: list[str] = []  # the servers this test boots, all alpha's, all deleted at the end
    try:
        async with running(*SERVICES):
            await eventually(
                lambda: asyncio.to_thread(lambda: stored() == cloud_env.servers_now()), timeout=30
            )
            booked = await cli_json(
                "book", "--title", "GPU firmware", "--impact", "outage", "--hosts", HOST,
                "--start", "+3h", "--duration", "1h",
            )  # fmt: skip
            window = booked["id"]
            await mail.expect(_emails("beta") + _emails("gamma"))

            # A boot puts alpha on the host: alpha is invited, from Nova's notification.
            mine.append(await asyncio.to_thread(cloud_env.boot, "drift-1", NEWCOMER, HOST))
            active = time.monotonic()
            [invited] = await mail.expect(_emails(NEWCOMER))
            print(f"\nserver active to the newcomer's invitation: {mail.arrived - active:.1f}s")
            assert mail.arrived - active < 30
            event = _event(invited)
            assert str(event["uid"]) == f"{window}.{cloud_env.projects[NEWCOMER]}@cloud.example.net"
            assert event["sequence"] == 1 and _calendar(invited)["method"] == "REQUEST"
            assert str(event["x-maintnote-object-id"]) == mine[0]  # its one server on the host

            # Its only server there moves away: alpha's own event is cancelled, saying why.
            await asyncio.to_thread(cloud_env.migrate, mine[0], "cmp-03")
            [left] = await mail.expect(_emails(NEWCOMER))
            assert _calendar(left)["method"] == "CANCEL"
            assert _event(left)["uid"] == event["uid"] and _event(left)["status"] == "CANCELLED"
            assert _event(left)["sequence"] == event["sequence"]
            assert "inte längre på värdarna" in left.get_body(("plain",)).get_content()  # Swedish

            # Twenty boots at once bring alpha back: one invitation, not twenty.
            burst = await asyncio.to_thread(
                lambda: [cloud_env.boot(f"drift-{i}", NEWCOMER, HOST, wait=False) for i in range(2, 22)]
            )
            mine += burst
            compute = cloud_env.admin.compute
            for server in burst:
                await asyncio.to_thread(compute.wait_for_server, compute.get_server(server), wait=180)
            back = await mail.expect(_emails(NEWCOMER), quiet=8)
            assert {_calendar(m)["method"] for m in back} == {"REQUEST"}

        # Down: the twenty are deleted meanwhile. After the restart, alpha is told it left.
        await _delete(cloud_env, burst)
        async with running(*SERVICES):
            gone = await mail.expect(_emails(NEWCOMER), timeout=60)
            assert {_calendar(m)["method"] for m in gone} == {"CANCEL"}
            await cli_json("cancel", window, "--reason", "Firmware withdrawn by the vendor")
            report = await eventually(lambda: _report(window), timeout=30)
        changes = [(c["tenant_id"], c["change"]) for c in report["tenant_changes"]]
        assert changes == [(cloud_env.projects[NEWCOMER], c) for c in ("joined", "left", "joined", "left")]
    finally:
        await _delete(cloud_env, mine)


async def _delete(cloud: Cloud, servers: list[str]) -> None:
    """Delete servers at once, and wait until Nova lists none of them."""
    compute = cloud.admin.compute
    for server in servers:
        await asyncio.to_thread(compute.delete_server, server, ignore_missing=True)
    for server in servers:
        try:
            found = await asyncio.to_thread(compute.get_server, server)
        except openstack.exceptions.NotFoundException:
            continue
        await asyncio.to_thread(compute.wait_for_delete, found, wait=120)


async def _report(window: str) -> dict | None:
    result = await run_cli("report", window, "--json")
    return json.loads(result.out) if result.code == 0 else None
