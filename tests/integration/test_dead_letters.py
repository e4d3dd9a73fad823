"""Dead letters from the server's max-deliveries advisory, listed and replayed from the CLI."""

from __future__ import annotations

import contextlib
import json

import nats.errors
import pytest
from nats.js.api import AckPolicy, ConsumerConfig

from forewarn.schemas import subjects

from .conftest import cli_json, eventually, run_cli, running, stream_messages

pytestmark = pytest.mark.integration
POISON = "maint.report.test-poison"


async def _give_up(js, consumer: str, *, deliveries: int = 2) -> int:
    """A consumer that fails a message until the server gives up on it; returns its sequence."""
    ack = await js.publish(POISON, b'{"anything": 1}', headers={"Nats-Msg-Id": "poison-1"})
    await js.add_consumer(
        subjects.STREAM,
        ConsumerConfig(
            durable_name=consumer, filter_subject=POISON, ack_policy=AckPolicy.EXPLICIT,
            max_deliver=deliveries, ack_wait=1.0,
        ),
    )  # fmt: skip
    sub = await js.pull_subscribe_bind(consumer, subjects.STREAM)
    for _ in range(deliveries):
        [msg] = await sub.fetch(1, timeout=5)
        await msg.nak()
    # The server gives up when it would deliver once more: ask, and get nothing.
    with contextlib.suppress(nats.errors.TimeoutError):
        await sub.fetch(1, timeout=2)
    return ack.seq


async def test_a_message_given_up_on_is_listed_and_replayed(env, js) -> None:
    async with running("scheduler"):
        seq = await _give_up(js, "poison-eater")
        letters = await eventually(lambda: _letters_for(seq), timeout=20)
        [letter] = letters
        assert letter == {
            "id": f"{subjects.STREAM}.{seq}", "subject": POISON, "consumer": "poison-eater",
            "reason": "gave up after 2 deliveries: the handler failed every time (see its log)",
            "stream": subjects.STREAM, "stream_seq": seq, "payload": '{"anything": 1}',
            "occurred_at": letter["occurred_at"],
        }  # fmt: skip

        listed = await run_cli("dlq", "list")
        assert listed.code == 0 and f"{subjects.STREAM}.{seq}" in listed.out and "poison-eater" in listed.out

        replayed = await cli_json("dlq", "retry", f"{subjects.STREAM}.{seq}")
        assert replayed["subject"] == POISON and not replayed["duplicate"]
        again = [
            m
            for m in await stream_messages(js, POISON)
            if m.metadata.sequence.stream == replayed["stream_seq"]
        ]
        assert again and json.loads(again[0].data) == {"anything": 1}
        assert await _letters_for(seq) == [], "a replayed letter leaves the list"

        unknown = await run_cli("dlq", "retry", "MAINT.999999")
        assert unknown.code == 2 and "ID: no dead letter 'MAINT.999999'" in unknown.err

        # Something on a dead-letter subject that is no dead letter: listed as such, not a crash.
        junk = await js.publish(subjects.dead_letter("poison-eater"), b"\x00not json")
        listed = await eventually(lambda: _letters_for(junk.seq), timeout=20)
        assert [(lt["id"], lt["subject"]) for lt in listed] == [(f"unreadable.{junk.seq}", "?")]
        refused = await run_cli("dlq", "retry", f"unreadable.{junk.seq}")
        assert refused.code == 2 and "holds no message that can be replayed" in refused.err


async def _letters_for(seq: int) -> list[dict]:
    listed = await cli_json("dlq", "list")
    return [letter for letter in listed if letter["stream_seq"] == seq]


async def test_a_rejected_command_is_listed_with_its_reason(env, js) -> None:
    async with running("scheduler"):
        ack = await js.publish(
            subjects.CANCEL, b'{"command_id": "short"}', headers={"Nats-Msg-Id": "bad-cancel"}
        )
        [letter] = await eventually(lambda: _letters_for(ack.seq), timeout=20)
    assert letter["consumer"] == "scheduler-cancel" and letter["subject"] == subjects.CANCEL
    assert "command_id: String should have at least 8 characters" in letter["reason"]
    assert "window_id: Field required" in letter["reason"] and "reason: Field required" in letter["reason"]


async def test_a_replayed_message_that_is_still_malformed_is_dead_again_at_once(env, js) -> None:
    # The replay carries content-type: application/json; junk behind it once counted as a
    # temporary error: twelve deliveries and about seven minutes of back-off.
    async with running("scheduler"):
        first = await js.publish(subjects.BOOK, b'{"title": ', headers={"Nats-Msg-Id": "junk-book"})
        [letter] = await eventually(lambda: _letters_for(first.seq), timeout=20)
        replayed = await cli_json("dlq", "retry", letter["id"])
        [again] = await eventually(lambda: _letters_for(replayed["stream_seq"]), timeout=20)
    assert again["consumer"] == "scheduler-book" and "is not a JSON object" in again["reason"]
