"""Answers go to the asker's inbox, never where a message says.

FastStream publishes a handler's return value to the message's reply subject,
which for a JetStream message is a `reply_to` header that the sender writes. A
sender allowed only to write commands could otherwise make the scheduler
publish its answer onto `maint.window.completed`: a confused deputy. This
middleware drops any reply subject that is not an inbox before the handler
runs, so no service of forewarn answers anywhere else.
"""

from __future__ import annotations

import logging
from typing import Any

from faststream import BaseMiddleware

from forewarn.schemas import subjects

log = logging.getLogger("forewarn.bus")


def answer_subject(reply_to: str | None) -> str:
    """Where an answer may go: the reply subject if it is an inbox, else nowhere ("")."""
    return reply_to if reply_to and subjects.is_inbox(reply_to) else ""


class AnswerOnlyToInboxes(BaseMiddleware):
    """Blank a message's reply subject unless it is an inbox."""

    async def consume_scope(self, call_next: Any, msg: Any) -> Any:
        if msg.reply_to and not answer_subject(msg.reply_to):
            log.warning(
                "a message on %s asked for its answer on %r, which is no inbox: no answer is sent",
                getattr(msg.raw_message, "subject", "?"),
                msg.reply_to,
            )
            msg.reply_to = ""
        return await call_next(msg)
