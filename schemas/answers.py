"""What tenants said: an answer to a window's notice, from a signed link or a calendar."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from .base import Line, Payload, Text, UtcTime, WindowRef, utcnow


class Answer(StrEnum):
    """What a contact said to a window's notice: iCalendar's PARTSTAT, or another time proposed."""

    ACCEPTED = "accepted"
    TENTATIVE = "tentative"
    DECLINED = "declined"
    PROPOSED = "proposed"


class ReplyReceived(Payload):
    """A tenant's contact answered a window's notice, from a signed link or a calendar's reply.

    `revision` is the plan the answer is about (the iCalendar SEQUENCE): an answer
    to an older revision than the window's current one is stale, not an answer
    to the current plan.
    """

    type: Literal["ReplyReceived"] = "ReplyReceived"
    reply_id: str = Field(
        min_length=8, max_length=64, pattern=r"^[a-z0-9]+$", description="Same answer, same id."
    )
    window_id: WindowRef
    revision: int = Field(ge=1)
    tenant_id: Line = Field(max_length=64)
    contact: Line = Field(max_length=320)
    answer: Answer
    proposed_start: UtcTime | None = Field(default=None, description="Another time the tenant asks for.")
    comment: Text = Field(default="", max_length=2000)
    via: Literal["link", "calendar"]
    occurred_at: UtcTime = Field(default_factory=utcnow)
