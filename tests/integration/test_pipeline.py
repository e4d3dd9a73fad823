"""The pipeline end to end on a real nats-server: CLI, scheduler, timers, impact."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from forewarn.schemas import subjects
from forewarn.schemas.base import Impact
from forewarn.schemas.commands import BookWindow, HostSelector
from forewarn.services.runtime.stack import Stack
from forewarn.services.scheduler.lifecycle import window_id_for
from forewarn.services.scheduler.models import Window

from .conftest import cli_json, eventually, run_cli, stream_messages

pytestmark = pytest.mark.integration


def _state(engine, window_id: str) -> str | None:
    with Session(engine) as session:
        window = session.get(Window, window_id)
        return window.state if window else None


async def test_booking_goes_scheduled_in_progress_completed(stack, env, js) -> None:
    result = await run_cli(
        "book",
        "--title",
        "STO1 compute: Ubuntu migration, rolling reboot",
        "--impact",
        "outage",
        "--start",
        "+2s",
        "--duration",
        "2s",
        "--hosts",
        "sto1-cmp-[01-04]",
        "--json",
    )
    assert result.code == 0, result.err
    booked = json.loads(result.out)
    wid = booked["id"]
    assert booked["status"] == "scheduled" and booked["revision"] == 1
    assert booked["hosts"] == ["sto1-cmp-01", "sto1-cmp-02", "sto1-cmp-03", "sto1-cmp-04"]
    assert booked["tenants"], "the impact resolver named no tenant"

    await eventually(lambda: _state(env, wid) == "completed", timeout=20)
    shown = await run_cli("show", wid, "--json")
    data = json.loads(shown.out)
    assert data["status"] == "completed" and data["revision"] == 3
    assert [t["event"] for t in data["timeline"]] == ["scheduled", "started", "completed"]
    assert set(data["tenants"]) == set(booked["tenants"])
    # A listing does not resolve each window: it leaves "tenants" out rather than say "none".
    [listed] = [w for w in await cli_json("list", "--all") if w["id"] == wid]
    assert "tenants" not in listed and listed["status"] == "completed"

    kinds = [m.subject for m in await stream_messages(js, subjects.WINDOW_EVENTS)]
    assert kinds == [subjects.SCHEDULED, subjects.STARTED, subjects.COMPLETED]
    impacts = await eventually(lambda: _when_all(stream_messages(js, subjects.IMPACT_RESOLVED), 3))
    assert [json.loads(m.data)["cause"] for m in impacts] == ["scheduled", "started", "completed"]
    resolved = json.loads(impacts[0].data)
    assert resolved["tenant_count"] == len(booked["tenants"])
    assert {t["tenant_id"] for t in resolved["tenants"]} == set(booked["tenants"])
    assert all(r["host"].startswith("sto1-cmp-0") for t in resolved["tenants"] for r in t["resources"])


async def test_reschedule_extend_cancel_from_the_cli(stack, env, js) -> None:
    later = ["--start", "+2h", "--duration", "1h"]
    booked = await cli_json(
        "book", "--title", "GPU swap", "--impact", "degraded", *later, "--site", "STO2", "--role", "gpu"
    )
    wid = booked["id"]
    assert booked["hosts"] == [f"sto2-gpu-h100-0{i}" for i in range(1, 5)]
    moved = await run_cli("reschedule", wid, "--start", "+3h", "--duration", "1h", "--json")
    assert moved.code == 0 and json.loads(moved.out)["revision"] == 2
    longer = await run_cli("extend", wid, "--by", "30m", "--json")
    assert longer.code == 0 and json.loads(longer.out)["revision"] == 3
    gone = await run_cli("cancel", wid, "--reason", "vendor delay", "--json")
    assert gone.code == 0 and json.loads(gone.out)["status"] == "cancelled"
    causes = [json.loads(m.data)["cause"] for m in await stream_messages(js, subjects.IMPACT_RESOLVED)]
    assert causes == ["scheduled", "rescheduled", "extended", "cancelled"]
    listed = await cli_json("list", "--state", "cancelled")
    assert [w["id"] for w in listed] == [wid]
    # Both timers are gone with the window.
    info = await js.stream_info(subjects.TIMER_STREAM, subjects_filter=f"{subjects.TIMER_PREFIX}.>")
    assert not info.state.subjects


async def _when_all(messages, count: int) -> list:
    found = await messages
    return found if len(found) >= count else []


def _command(n: int) -> BookWindow:
    start = datetime.now(UTC) + timedelta(hours=1)
    return BookWindow(
        command_id=f"dup-test-{n:04d}",
        title="dedup",
        impact=Impact.NO_IMPACT,
        start=start,
        end=start + timedelta(hours=1),
        hosts=HostSelector(nodeset="osl2-cmp-01"),
    )


async def test_duplicate_book_window_gives_one_window(stack, env, js) -> None:
    cmd = _command(1)
    first = await stack.broker.publish(
        cmd, subjects.BOOK, stream=subjects.COMMAND_STREAM, headers={"Nats-Msg-Id": cmd.command_id}
    )
    again = await stack.broker.publish(
        cmd, subjects.BOOK, stream=subjects.COMMAND_STREAM, headers={"Nats-Msg-Id": cmd.command_id}
    )
    assert not first.duplicate and again.duplicate
    # Past the dedup window the server would store it again: the scheduler must still apply it once.
    await stack.broker.publish(
        cmd, subjects.BOOK, stream=subjects.COMMAND_STREAM, headers={"Nats-Msg-Id": cmd.command_id + "-late"}
    )

    async def two_processed() -> bool:
        info = await js.consumer_info(subjects.COMMAND_STREAM, "scheduler-book")
        return info.ack_floor.stream_seq >= 2 and info.num_pending == 0 and info.num_ack_pending == 0

    await eventually(two_processed)
    with Session(env) as session:
        assert session.scalar(select(func.count()).select_from(Window)) == 1
    assert len(await stream_messages(js, subjects.SCHEDULED)) == 1


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "payload"),
        (b'{"schema_version": 2}', "schema_version"),
        (
            json.dumps(
                {**json.loads(_command(9).model_dump_json()), "start": "2026-12-01T22:00:00"}
            ).encode(),
            "start",
        ),
        (json.dumps({**json.loads(_command(9).model_dump_json()), "colour": "red"}).encode(), "colour"),
    ],
)
async def test_malformed_command_is_rejected_and_the_next_one_processed(
    stack, env, js, payload, reason
) -> None:
    await stack.broker.publish(
        payload, subjects.BOOK, stream=subjects.COMMAND_STREAM, headers={"Nats-Msg-Id": "bad-1"}
    )
    good = _command(2)
    await stack.broker.publish(
        good, subjects.BOOK, stream=subjects.COMMAND_STREAM, headers={"Nats-Msg-Id": good.command_id}
    )
    await eventually(lambda: _count_windows(env) == 1)
    [rejected] = await eventually(lambda: stream_messages(js, subjects.REJECTED))
    body = json.loads(rejected.data)
    assert body["command"] == "BookWindow"
    assert any(r["field"].startswith(reason) for r in body["reasons"]), body["reasons"]
    [letter] = await stream_messages(js, subjects.dead_letter("scheduler-book"))
    letter = json.loads(letter.data)
    assert letter["subject"] == subjects.BOOK and letter["reason"] and letter["stream_seq"] == 1


def _count_windows(engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Window))


async def test_window_due_while_the_scheduler_was_down_starts_late(env, js) -> None:
    stack = Stack(["scheduler", "impact"])
    await stack.start()
    booked = await run_cli(
        "book",
        "--title",
        "late",
        "--impact",
        "outage",
        "--start",
        "+10s",  # room for a loaded machine's CLI and the stop before it
        "--duration",
        "1h",
        "--hosts",
        "sto1-gpu-a2-01",
        "--json",
    )
    wid = json.loads(booked.out)["id"]
    start = datetime.fromisoformat(json.loads(booked.out)["start"])
    await stack.stop()
    assert datetime.now(UTC) < start, "the scheduler was still running at the start"
    # The start passes while no scheduler runs; the timer fires anyway.
    await asyncio.sleep((start - datetime.now(UTC)).total_seconds() + 7)
    assert _state(env, wid) == "scheduled"
    stack = Stack(["scheduler", "impact"])
    await stack.start()
    try:
        await eventually(lambda: _state(env, wid) == "in_progress")
        [started] = await eventually(lambda: stream_messages(js, subjects.STARTED))
        body = json.loads(started.data)
        assert body["late"] is True
        assert timedelta(seconds=5) < _iso_duration(body["late_by"]) < timedelta(seconds=60)
        # Completing it names the tenants it affected, as `show` does (it once said "0 affected").
        done = await cli_json("complete", wid)
        shown = await cli_json("show", wid)
        assert done["status"] == "completed" and done["tenants"] and done["tenants"] == shown["tenants"]
    finally:
        await stack.stop()


def _iso_duration(text: str) -> timedelta:
    from pydantic import TypeAdapter

    return TypeAdapter(timedelta).validate_python(text)


async def test_a_failing_handler_is_retried_and_nothing_is_lost(stack, env, js) -> None:
    resolver = stack.running["impact"]
    real = resolver.resolve
    attempts = []

    async def flaky(window, cause):
        attempts.append(cause)
        if len(attempts) == 1:
            raise ConnectionError("database went away")
        return await real(window, cause)

    resolver.resolve = flaky
    cmd = _command(3)
    await stack.broker.publish(
        cmd, subjects.BOOK, stream=subjects.COMMAND_STREAM, headers={"Nats-Msg-Id": cmd.command_id}
    )
    [impact] = await eventually(lambda: stream_messages(js, subjects.IMPACT_RESOLVED))
    assert len(attempts) == 2, "the failed message was not redelivered"
    assert json.loads(impact.data)["window"]["id"] == window_id_for(cmd.command_id)
    # The ack follows the publish, so wait for it rather than read it at once.

    async def settled():
        info = await js.consumer_info(subjects.STREAM, "impact-scheduled")
        return info.num_ack_pending == 0 and info.num_redelivered == 0

    await eventually(settled, timeout=10)
