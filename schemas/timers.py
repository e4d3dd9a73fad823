"""The bodies of durable timers (JetStream message schedules): a time arrived, so a stage acts.
Not facts about the past but appointments, hence `...Due`."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from .base import Line, Payload, UtcTime, WindowRef


class WindowDue(Payload):
    """A window's start or end time arrived: the body of a durable timer."""

    type: Literal["WindowDue"] = "WindowDue"
    window_id: WindowRef
    edge: Literal["start", "end"]
    at: UtcTime = Field(description="The time the timer was set for.")


class ReminderDue(Payload):
    """A reminder's time arrived: the body of a reminder timer."""

    type: Literal["ReminderDue"] = "ReminderDue"
    window_id: WindowRef
    revision: int
    lead: timedelta = Field(description="How long before the start this reminder goes out.")
    impact_seq: int = Field(description="Stream sequence of the ImpactResolved part it reminds of.")
    escalation: bool = Field(
        default=False, description="An escalation: only to the tenants that have not acknowledged the plan."
    )


class DriftCheckDue(Payload):
    """The inventory changed under a scheduled window: time to compare its affected set again.

    The body of the impact resolver's timer, which gathers a burst of changes into one check.
    """

    type: Literal["DriftCheckDue"] = "DriftCheckDue"
    window_id: WindowRef
    revision: int


class WebhookDue(Payload):
    """One event to deliver to one tenant's webhook endpoint: the body of a delivery message."""

    type: Literal["WebhookDue"] = "WebhookDue"
    delivery_id: str = Field(max_length=40, pattern=r"^msg_[0-9a-f]+$", description="The webhook-id header.")
    endpoint_id: str = Field(max_length=32, pattern=r"^ep_[0-9a-f]+$")
    tenant_id: Line = Field(max_length=64)
    event: str = Field(max_length=16)
    body: str = Field(description="The CloudEvent, as JSON, exactly as it is sent and signed.")
