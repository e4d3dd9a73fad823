"""Webhook settings, read by the notifier (it delivers) and by `forewarn webhook add` (it checks targets)."""

from __future__ import annotations

from datetime import timedelta
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ..common.durations import Duration
from ..platform.config import EmptyIsUnset

# The Standard Webhooks schedule: at once, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h.
SPEC_RETRIES = [
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
]


class WebhookSettings(BaseSettings):
    """FOREWARN_WEBHOOK_* variables."""

    model_config = SettingsConfigDict(env_prefix="FOREWARN_", extra="ignore")

    webhook_retries: Annotated[list[Duration], NoDecode] = Field(
        default=SPEC_RETRIES,
        min_length=1,
        # The consumer gives up after MAX_DELIVER attempts whatever this says.
        max_length=10,
        description="Waits between a webhook's attempts, comma-separated; after the last, it failed. "
        "Default: the Standard Webhooks schedule, 5s,5m,30m,2h,5h,10h,10h.",
    )
    webhook_timeout: float = Field(default=15.0, gt=0, le=120, description="Seconds one attempt may take.")
    webhook_allow: Annotated[list[IPv4Network | IPv6Network], NoDecode] = Field(
        default=[],
        description="Networks webhooks may reach although they are loopback, private or link-local, "
        "comma-separated CIDRs (127.0.0.0/8,10.1.0.0/16). Empty: only public addresses.",
    )
    secret_key: Annotated[SecretStr | None, EmptyIsUnset] = Field(
        default=None,
        description="Fernet keys that seal webhook secrets at rest, space-separated: the first seals, "
        "each opens (put a new key first to rotate). Unset: no webhook can be added or sent.",
    )
    webhook_rotation_overlap: Duration = Field(
        default=timedelta(hours=24),
        description="After `forewarn webhook rotate`, the old secret signs deliveries too for this long.",
    )

    @field_validator("webhook_retries", mode="before")
    @classmethod
    def _retries(cls, value: object) -> object:
        return [part for part in value.split(",") if part.strip()] if isinstance(value, str) else value

    @field_validator("webhook_allow", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        if isinstance(value, str):
            return [ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip()]
        return value
