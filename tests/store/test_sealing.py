"""Webhook secrets at rest: sealed with the operator's key, opened with it, rotated, upgraded."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlmodel import Session, select

from forewarn.services.platform.config import StartupError
from forewarn.services.platform.db import transaction
from forewarn.services.webhooks.sealing import PREFIX, reseal_all, sealer, sealer_at_start
from forewarn.services.webhooks.store import WebhookEndpoint, add_endpoint, new_secret


def _stored(engine) -> list[WebhookEndpoint]:
    with Session(engine) as session:
        return list(session.exec(select(WebhookEndpoint)))


def test_a_clear_secret_of_an_earlier_release_is_sealed_at_start(engine) -> None:
    clear = new_secret()
    with transaction(engine) as session:
        session.add(
            WebhookEndpoint(id="ep_old", tenant_id="acme", url="https://x.example/", events=[], secret=clear)
        )
    with pytest.raises(
        StartupError, match=r"^FOREWARN_SECRET_KEY: not set; .*store holds webhook endpoints$"
    ):
        sealer_at_start(None, engine)
    key = SecretStr(Fernet.generate_key().decode())
    box = sealer_at_start(key, engine)
    [endpoint] = _stored(engine)
    assert endpoint.secret.startswith(PREFIX) and clear not in endpoint.secret
    assert box.open(endpoint.secret) == clear


def test_no_key_and_no_endpoint_starts_without_webhooks(engine) -> None:
    assert sealer_at_start(None, engine) is None


def test_a_new_key_first_reseals_and_the_old_one_can_then_go(engine) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with transaction(engine) as session:
        _, secret = add_endpoint(session, "acme", "https://x.example/", [], sealer(SecretStr(old)).seal)
    both = sealer(SecretStr(f"{new} {old}"))
    with transaction(engine) as session:
        assert reseal_all(session, both) == 1
        assert reseal_all(session, both) == 0
    [endpoint] = _stored(engine)
    assert sealer(SecretStr(new)).open(endpoint.secret) == secret
    with pytest.raises(StartupError, match="holds no key that opens"):
        sealer(SecretStr(old)).open(endpoint.secret)


def test_a_malformed_key_is_one_line_naming_it() -> None:
    with pytest.raises(StartupError, match=r"^FOREWARN_SECRET_KEY: each key must be 32 bytes"):
        sealer(SecretStr("not-a-key"))
