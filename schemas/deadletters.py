"""A message set aside with its reason: the dead-letter record every consumer writes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Payload, UtcTime, utcnow


class DeadLettered(Payload):
    """A message a consumer could not use, kept with the reason."""

    type: Literal["DeadLettered"] = "DeadLettered"
    id: str = Field(description="Stable id: stream and sequence of the original message.")
    subject: str
    consumer: str
    reason: str
    stream: str | None = Field(
        default=None,
        description="The stream holding the original: a replay takes it from there, never from this copy. "
        "None for a core message, which has no stored original.",
    )
    stream_seq: int | None = None
    payload: str = Field(description="The original payload, cut at 64 KiB.")
    occurred_at: UtcTime = Field(default_factory=utcnow)
