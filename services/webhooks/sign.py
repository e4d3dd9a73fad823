"""Signing a webhook delivery as Standard Webhooks says: the headers each attempt carries."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from standardwebhooks.webhooks import Webhook

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"


def signed_headers(delivery_id: str, body: str, secrets: Iterable[str], now: datetime) -> dict[str, str]:
    """The headers of one attempt, signed once with each secret the endpoint holds now.

    While a secret is rotated an endpoint holds two, and the signature header
    carries both signatures, so the receiver may check with either.
    """
    signature = " ".join(Webhook(secret).sign(delivery_id, now, body) for secret in secrets)
    return {
        "content-type": CONTENT_TYPE,
        "webhook-id": delivery_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "user-agent": "forewarn-webhooks",
    }
