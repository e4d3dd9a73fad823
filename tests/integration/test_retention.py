"""Retention on a real nats-server: what the streams keep, and for how long."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
from nats.js.errors import APIError

from forewarn.schemas import subjects
from forewarn.schemas.base import utcnow
from forewarn.services.bus import timers
from forewarn.services.bus.publish import Outgoing, publish
from forewarn.services.bus.stream import declare_streams, stream_configs
from forewarn.services.scheduler.models import Window

from .conftest import cli_json, eventually, running, stream_messages
from .smtp import Inbox

pytestmark = pytest.mark.integration

DAY = 86_400


def _ttl(msg) -> int | None:
    value = (msg.headers or {}).get("Nats-TTL")
    return int(value.removesuffix("s")) if value else None


async def test_a_window_keeps_its_lifecycle_and_its_personal_data_until_its_end_and_a_retention(
    env, js, smtp, monkeypatch
) -> None:
    monkeypatch.setenv("FOREWARN_RETENTION", "2d")
    smtp(Inbox())
    async with running("scheduler", "impact", "notifier"):
        asked = utcnow()
        booked = await cli_json(
            "book", "--title", "GPU swap", "--impact", "outage", "--start", "+3d", "--duration", "4h",
            "--hosts", "sto1-cmp-[01-02]",
        )  # fmt: skip
        mails = len(booked["tenants"])
        outcomes = await eventually(
            lambda: _at_least(stream_messages(js, subjects.NOTICES), mails), timeout=30
        )

    with env.connect() as conn:
        end = conn.execute(Window.__table__.select().where(Window.id == booked["id"])).one().end
    # Until the window's end (3 days and 4 hours from the booking), then two days more,
    # counted from when each message was published: between the booking and now.
    least, most = ((end - at).total_seconds() + 2 * DAY for at in (utcnow(), asked))

    def kept(msg) -> bool:
        return least - 1 <= _ttl(msg) <= most + 1

    for stream in (subjects.STREAM, subjects.VIEW_STREAM):
        impact = await stream_messages(js, subjects.IMPACT_RESOLVED, stream)
        assert impact and all(kept(m) for m in impact), stream
        lifecycle = await stream_messages(js, subjects.WINDOW_EVENTS, stream)
        assert [m.subject for m in lifecycle] == [subjects.SCHEDULED]
        assert _ttl(lifecycle[0]) is None, "lifecycle events are the record: kept for good"
    assert all(kept(m) for m in outcomes)
    assert {json.loads(m.data)["window_id"] for m in outcomes} == {booked["id"]}
    commands = await stream_messages(js, subjects.COMMANDS, subjects.COMMAND_STREAM)
    assert commands and all(_ttl(m) is None for m in commands)


async def test_expired_messages_leave_the_stream_and_its_view(env, js, nats_server) -> None:
    async with running("scheduler") as stack:
        await declare_streams(js)
        short = timedelta(seconds=1)
        body = b'{"kept": false}'
        await publish(
            stack.broker, Outgoing(subjects.NOTICE_DELIVERED, "n-short", body, ttl=short), timeout=5
        )
        await publish(stack.broker, Outgoing(subjects.REPORT_PUBLISHED, "r-kept", b"{}"), timeout=5)
        # A timer's own schedule waits; the message it fires is what expires.
        at = utcnow() + timedelta(seconds=1)
        timer = Outgoing(subjects.timer("mw-short1", "start"), "t-short", b"{}", ttl=short)
        await timers.set_timer(
            stack.broker, timer, at=at, target=subjects.due("mw-short1", "start"), timeout=5
        )
        await eventually(lambda: _at_least(stream_messages(js, subjects.DUE, subjects.TIMER_STREAM), 1))

        async def gone() -> bool:
            counts = [
                len(await stream_messages(js, subjects.NOTICES, stream))
                for stream in (subjects.STREAM, subjects.VIEW_STREAM)
            ]
            due = await stream_messages(js, subjects.DUE, subjects.TIMER_STREAM)
            return counts == [0, 0] and not due

        await eventually(gone, timeout=15)
        for stream in (subjects.STREAM, subjects.VIEW_STREAM):
            assert [m.subject for m in await stream_messages(js, subjects.REPORTS, stream)] == [
                subjects.REPORT_PUBLISHED
            ]


async def _at_least(found, n: int):
    messages = await found
    return messages if len(messages) >= n else None


async def test_a_full_stream_refuses_new_messages_and_keeps_what_it_holds(env, js) -> None:
    """The limits that stop a runaway: a publisher is refused, loudly, and nothing stored goes."""
    await declare_streams(js, max_bytes=256 * 1024)
    body = b"x" * 1024
    with pytest.raises(APIError, match="maximum bytes exceeded"):
        for n in range(1000):
            await js.publish(f"{subjects.REPORTS[:-1]}limit", body, headers={"Nats-Msg-Id": f"limit-{n}"})
    state = (await js.stream_info(subjects.STREAM)).state
    assert state.first_seq == 1 and 200 < state.messages < 256 and state.bytes <= 256 * 1024
    for name in subjects.STREAM_SUBJECTS:
        config = (await js.stream_info(name)).config
        assert config.max_bytes == 256 * 1024 and config.max_msgs > 0, name


async def test_streams_made_by_the_last_release_take_the_limits(env, js) -> None:
    """Streams without limits (the release before) are brought to them by the scheduler's next start."""
    for config in stream_configs():
        await js.add_stream(dataclasses.replace(config, max_bytes=None, max_msgs=None, discard=None))
    await js.publish(subjects.REPORT_PUBLISHED, b"{}", headers={"Nats-Msg-Id": "kept-across"})
    await declare_streams(js, max_bytes=64 * 1024**2)
    for name in (*subjects.STREAM_SUBJECTS, subjects.VIEW_STREAM):
        config = (await js.stream_info(name)).config
        assert config.max_bytes == 64 * 1024**2 and config.max_msgs > 0, name
    assert (await js.stream_info(subjects.STREAM)).state.messages == 1
