"""The notifier's settings: the mail server's, and when to remind and whether to tell of starts."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from ..answers.links import AnswerSettings
from ..common.durations import Duration
from ..mail.settings import MailSettings
from ..platform.config import EmptyIsUnset
from ..webhooks.settings import WebhookSettings


class NotifierSettings(MailSettings, AnswerSettings, WebhookSettings):
    """FOREWARN_* variables read by the notifier."""

    reminders: Annotated[list[Duration], NoDecode] = Field(
        default=[timedelta(hours=72), timedelta(hours=1)],
        description="Lead times of reminders before the start, comma-separated: 72h,1h. Empty: none.",
    )
    escalate: Annotated[Duration | None, EmptyIsUnset] = Field(
        default=None,
        description="This long before an OUTAGE window starts, every affected tenant that has not "
        "acknowledged its plan gets an escalation notice, once per revision. Unset: none.",
    )
    rsvp: bool = Field(
        default=False,
        description="Ask calendars to answer invitations (RSVP=TRUE): set it where `forewarn run replies` "
        "reads the organizer's mailbox. Unset: RSVP=FALSE, and no calendar is asked to write to a mailbox "
        "nobody reads.",
    )
    notify_started: bool = Field(
        default=False, description="Also tell tenants when the work begins (an IN-PROCESS calendar update)."
    )

    @field_validator("reminders", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return [part for part in value.split(",") if part.strip()] if isinstance(value, str) else value
