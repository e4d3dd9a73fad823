"""Crashes, outages and refusals during a 500-contact fan-out: nothing lost, nothing doubled."""

from __future__ import annotations

import asyncio
import hashlib
import random

import nats
import pytest

from forewarn.schemas import subjects

from ..fleet import IN_FLIGHT, Fleet, Recorder

pytestmark = pytest.mark.faults
ALL = ("scheduler", "impact", "notifier", "reporter")


async def reached(fleet: Fleet, delivered: int, timeout: float = 120) -> None:
    """Wait until the mail server has accepted this many messages."""
    deadline = asyncio.get_running_loop().time() + timeout
    while fleet.mail.handler.delivered < delivered:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"only {fleet.mail.handler.delivered} of {delivered} messages arrived")
        await asyncio.sleep(0.02)


async def test_notifier_killed_three_times_during_the_fan_out(fleet: Fleet) -> None:
    seed = random.randrange(1 << 32)
    rng = random.Random(seed)
    fleet.say(f"\nrandom seed {seed}")
    await fleet.start(*ALL)
    wid = await fleet.book(start="+40s", duration="2s")
    # The notifier sends the 500 scheduled notices (the reporter, the completions).
    points = sorted(rng.sample(range(20, 480), 3))
    for point in points:
        await reached(fleet, point)
        await fleet.services["notifier"].kill()
        await fleet.start("notifier")
    report = await fleet.settle(wid)
    duplicates, missing = fleet.counts(report, fault=f"notifier SIGKILL at {points}")
    assert missing == 0
    # A kill can repeat only the mails between the server's 250 and the ledger write.
    assert duplicates <= len(points) * IN_FLIGHT


async def test_reporter_killed_during_the_completion_fan_out(fleet: Fleet) -> None:
    await fleet.start(*ALL)
    wid = await fleet.book(start="+10s", duration="2s")
    await reached(fleet, 500 + random.randrange(20, 400))
    await fleet.services["reporter"].kill()
    await fleet.start("reporter")
    report = await fleet.settle(wid)
    duplicates, missing = fleet.counts(report, fault="reporter SIGKILL in the completion fan-out")
    assert missing == 0 and duplicates <= IN_FLIGHT


async def test_scheduler_down_at_the_start_and_impact_killed_mid_resolution(fleet: Fleet) -> None:
    await fleet.start(*ALL)
    loop = asyncio.get_running_loop()
    booked_at = loop.time()
    wid = await fleet.book(start="+20s", duration="3s")
    await reached(fleet, 500)
    # Both timers fire while the scheduler is dead: the server keeps the due messages.
    await fleet.services["scheduler"].kill()
    assert loop.time() - booked_at < 19, "the invitations took so long that the start came first"
    await asyncio.sleep(booked_at + 25 - loop.time())
    nc = await nats.connect(fleet.nats.url)
    completed = asyncio.Event()
    sub = await nc.subscribe(subjects.COMPLETED, cb=_setter(completed))
    await fleet.start("scheduler")
    # The resolver is killed as the completion reaches it, and comes back 2 s later.
    await asyncio.wait_for(completed.wait(), 60)
    await fleet.services["impact"].kill()
    await sub.unsubscribe()
    await nc.close()
    await asyncio.sleep(2)
    await fleet.start("impact")
    report = await fleet.settle(wid)
    duplicates, missing = fleet.counts(report, fault="scheduler down at start; impact SIGKILL")
    assert missing == 0 and duplicates == 0
    assert report["actual_start"] > report["planned_start"], "the start came late, not never"


def _setter(event: asyncio.Event):
    async def on_message(_msg) -> None:
        event.set()

    return on_message


async def test_smtp_server_gone_for_30_seconds_mid_fan_out(fleet: Fleet) -> None:
    await fleet.start(*ALL)
    wid = await fleet.book(start="+20s", duration="2s")
    await reached(fleet, 150)
    fleet.mail.stop()
    stopped = fleet.mail.handler.delivered
    await asyncio.sleep(30)
    assert fleet.mail.handler.delivered == stopped
    fleet.mail.start()
    report = await fleet.settle(wid, timeout=300)
    duplicates, missing = fleet.counts(report, fault="SMTP server away 30 s")
    assert missing == 0 and duplicates == 0


class Grumpy(Recorder):
    """Answers 421 or 451 to the first attempt at one message in ten."""

    def verdict(self, rcpt: str, message_id: str) -> str | None:
        pick = int(hashlib.sha256(message_id.encode()).hexdigest(), 16) % 20
        if pick < 2 and self.attempts[(rcpt, message_id)] == 1:
            return "421 4.3.2 service shutting down" if pick == 0 else "451 4.3.0 try again later"
        return None


async def test_temporary_refusals_for_a_tenth_are_retried(fleet: Fleet) -> None:
    fleet.mail.handler = grumpy = Grumpy()
    fleet.mail.stop()
    fleet.mail.start()
    await fleet.start(*ALL)
    wid = await fleet.book(start="+10s", duration="2s")
    report = await fleet.settle(wid)
    duplicates, missing = fleet.counts(report, fault="421/451 to a tenth")
    refused = sum(1 for (_r, _m), n in grumpy.attempts.items() if n > 1)
    fleet.say(f"refused at first and retried: {refused}")
    assert missing == 0 and duplicates == 0 and refused >= 50


async def test_nats_server_restarted_mid_fan_out(fleet: Fleet) -> None:
    await fleet.start(*ALL)
    wid = await fleet.book(start="+25s", duration="2s")
    await reached(fleet, 200)
    fleet.nats.stop()  # SIGTERM
    await asyncio.sleep(3)
    fleet.nats.start()  # same port, same store
    report = await fleet.settle(wid, timeout=300)
    duplicates, missing = fleet.counts(report, fault="nats-server restart")
    assert missing == 0 and duplicates <= IN_FLIGHT


async def test_cluster_leader_killed_mid_fan_out(cluster_fleet: Fleet) -> None:
    fleet = cluster_fleet
    await fleet.start(*ALL)
    wid = await fleet.book(start="+30s", duration="2s")
    await reached(fleet, 200)
    info = await fleet.cluster.stream_info(subjects.STREAM)
    assert info.config.num_replicas == 3 and len(info.cluster.replicas) == 2
    leader = info.cluster.leader
    fleet.cluster.kill(leader)
    fleet.say(f"\nkilled {leader}, the leader of {subjects.STREAM}")
    report = await fleet.settle(wid, timeout=300)
    duplicates, missing = fleet.counts(report, fault=f"3-node cluster, leader {leader} SIGKILL")
    assert missing == 0 and duplicates <= IN_FLIGHT
