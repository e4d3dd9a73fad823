"""Answers from the status page's links, recorded: the reporter's side of RecordAnswer.

The status page asks; the reporter checks what it was sent and stores only a
ReplyReceived that reads as one. Nothing else that arrives on the subject is
stored, so no copy of a message and no answer of the server's own can loop
back into MAINT through it (docs/internals/security.md, "Two accounts").
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from faststream.nats import NatsBroker
from pydantic import ValidationError

from forewarn.schemas.commands import RecordAnswer, RecordAnswerResult

from .published import publish_reply

log = logging.getLogger("forewarn.answers")
# A flood of refusals is logged once in this many seconds, with how many there were.
LOG_EVERY_S = 60.0


class Refusals:
    """Counts what was refused, and logs it without letting a flood fill the log."""

    def __init__(self) -> None:
        self.count = 0
        self._logged_at = -LOG_EVERY_S
        self._since = 0

    def note(self, reason: str) -> None:
        self.count += 1
        self._since += 1
        now = time.monotonic()
        if now - self._logged_at >= LOG_EVERY_S:
            log.warning("refused %d request(s) to record an answer; the last: %s", self._since, reason)
            self._logged_at, self._since = now, 0


async def record_answer(
    broker: NatsBroker, body: bytes, *, retention: timedelta, timeout: float, refusals: Refusals
) -> RecordAnswerResult:
    """Store the answer a RecordAnswer carries, or refuse the request and say why."""
    try:
        asked = RecordAnswer.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the body"
        reason = f"not a RecordAnswer: {where}: {first['msg']}"
        refusals.note(reason)
        return RecordAnswerResult(recorded=False, reason=reason)
    await publish_reply(
        broker, asked.reply, window_end=asked.keep_until, retention=retention, timeout=timeout
    )
    return RecordAnswerResult(recorded=True)
