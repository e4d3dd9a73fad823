"""The reporter records only what reads as an answer: anything else is refused, never stored."""

from __future__ import annotations

import json
import logging

import pytest

from forewarn.schemas import subjects
from forewarn.schemas.answers import Answer, ReplyReceived
from forewarn.schemas.commands import RecordAnswer
from forewarn.services.answers.recorded import Refusals, record_answer

from ..factories import make_window


class NoBroker:
    """A refusal must not touch the bus."""

    def __getattr__(self, name: str):
        raise AssertionError(f"the broker was used ({name}) for a request that was refused")


def _answer() -> ReplyReceived:
    window = make_window()
    return ReplyReceived(
        reply_id="abcdef0123", window_id=window.id, revision=1, tenant_id="acme", contact="ops@acme.example",
        answer=Answer.ACCEPTED, via="link",
    )  # fmt: skip


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{}",
        b"not json",
        # A copy of a stored message, as a push consumer on the view would deliver it.
        _answer().model_dump_json().encode(),
        json.dumps({"type": "io.nats.jetstream.api.v1.stream_info_response", "config": {}}).encode(),
    ],
)
async def test_what_is_no_record_answer_is_refused_with_its_reason(body: bytes) -> None:
    refusals = Refusals()
    result = await record_answer(NoBroker(), body, retention=None, timeout=1, refusals=refusals)  # type: ignore[arg-type]
    assert not result.recorded and result.reason.startswith("not a RecordAnswer")
    assert refusals.count == 1


async def test_a_flood_of_refusals_is_logged_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    refusals = Refusals()
    with caplog.at_level(logging.WARNING, logger="forewarn.answers"):
        for _ in range(1000):
            await record_answer(NoBroker(), b"{}", retention=None, timeout=1, refusals=refusals)  # type: ignore[arg-type]
    assert refusals.count == 1000 and len(caplog.records) == 1


def test_a_record_answer_names_its_type_and_no_stream_holds_its_subject() -> None:
    asked = RecordAnswer(reply=_answer(), keep_until=make_window().end)
    assert json.loads(asked.model_dump_json())["type"] == "RecordAnswer"
    with pytest.raises(ValueError):
        subjects.stream_of(subjects.RECORD_ANSWER)
