"""A delivery's headers verify with each secret the endpoint holds, and with no other."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from forewarn.services.webhooks.sign import signed_headers

OLD = "whsec_" + base64.b64encode(b"o" * 32).decode()
NEW = "whsec_" + base64.b64encode(b"n" * 32).decode()
OTHER = "whsec_" + base64.b64encode(b"x" * 32).decode()
BODY = '{"specversion": "1.0", "id": "d-1"}'


def test_a_rotating_endpoint_s_receiver_may_check_with_either_secret() -> None:
    now = datetime.now(UTC)
    headers = signed_headers("d-1", BODY, [OLD, NEW], now)
    assert headers["webhook-id"] == "d-1"
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert len(headers["webhook-signature"].split()) == 2
    for secret in (OLD, NEW):
        assert Webhook(secret).verify(BODY, headers) is not None
    with pytest.raises(WebhookVerificationError):
        Webhook(OTHER).verify(BODY, headers)
