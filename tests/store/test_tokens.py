"""Tenants' secret links in the store (SQLite and PostgreSQL): hashed, replaced, revoked."""

from __future__ import annotations

import hashlib

import pytest
from sqlmodel import Session, select

from forewarn.services.inventory.load import load_inventory
from forewarn.services.inventory.models import UnknownTenant
from forewarn.services.statuspage.models import TenantToken
from forewarn.services.statuspage.tokens import issue, revoke, tenant_for


@pytest.fixture
def loaded(engine, example_inventory):
    load_inventory(engine=engine, path=example_inventory)
    return engine


def test_a_token_opens_its_tenant_and_only_its_hash_is_stored(loaded) -> None:
    token = issue(loaded, "acme-ab")
    assert len(token) >= 43  # 32 random bytes
    assert tenant_for(loaded, token).id == "acme-ab"
    with Session(loaded) as session:
        [row] = session.exec(select(TenantToken)).all()
    assert row.token_sha256 == hashlib.sha256(token.encode()).hexdigest() and token not in row.token_sha256
    other = issue(loaded, "nyc-quant")
    assert tenant_for(loaded, other).id == "nyc-quant"


@pytest.mark.parametrize("wrong", ["", "x", "A" * 43, "A" * 500, "../../etc/passwd", "é€"])
def test_a_wrong_token_opens_nothing(loaded, wrong: str) -> None:
    issue(loaded, "acme-ab")
    assert tenant_for(loaded, wrong) is None


def test_a_new_token_replaces_the_old_and_revoke_ends_it(loaded) -> None:
    first = issue(loaded, "acme-ab")
    second = issue(loaded, "acme-ab")
    assert first != second
    assert tenant_for(loaded, first) is None and tenant_for(loaded, second).id == "acme-ab"
    assert revoke(loaded, "acme-ab") is True
    assert tenant_for(loaded, second) is None
    assert revoke(loaded, "acme-ab") is False


def test_only_inventory_tenants_get_tokens(loaded) -> None:
    with pytest.raises(UnknownTenant):
        issue(loaded, "no-such-tenant")
    with pytest.raises(UnknownTenant):
        revoke(loaded, "no-such-tenant")
