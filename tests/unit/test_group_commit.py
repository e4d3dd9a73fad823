"""GroupCommit: arrival order kept, a burst taken at once, a failure told to all its callers."""

from __future__ import annotations

import asyncio

import pytest

from forewarn.services.platform.group_commit import GroupCommit


async def test_a_burst_waits_for_the_running_group_and_then_goes_as_one_in_order() -> None:
    ran: list[list[int]] = []
    gate = asyncio.Event()

    async def work(items: list[int]) -> None:
        ran.append(items)
        await gate.wait()

    commit = GroupCommit(work)
    first = asyncio.create_task(commit.submit([0]))
    await asyncio.sleep(0.01)
    burst = [asyncio.create_task(commit.submit([n])) for n in range(1, 6)]
    await asyncio.sleep(0.01)
    assert ran == [[0]] and not first.done()
    gate.set()
    await asyncio.gather(first, *burst)
    assert ran == [[0], [1, 2, 3, 4, 5]]


async def test_a_failed_group_fails_each_of_its_callers_and_the_next_group_still_runs() -> None:
    ran: list[list[str]] = []

    async def work(items: list[str]) -> None:
        ran.append(items)
        if "bad" in items:
            raise RuntimeError("store unreachable")

    commit = GroupCommit(work)
    calls = [asyncio.create_task(commit.submit([x])) for x in ("ok", "bad")]
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert [str(r) for r in results] == ["store unreachable", "store unreachable"]
    await commit.submit(["later"])
    assert ran == [["ok", "bad"], ["later"]]


async def test_closing_cancels_whoever_waits() -> None:
    async def work(items: list[int]) -> None:
        await asyncio.sleep(3600)

    commit = GroupCommit(work)
    waiting = asyncio.create_task(commit.submit([1]))
    await asyncio.sleep(0)
    await commit.close()
    with pytest.raises(asyncio.CancelledError):
        await waiting
