"""Tenants' secret links: random tokens, stored only as their SHA-256.

A token is 32 random bytes, so a hash lookup is as safe as a password check
and far cheaper; the final comparison is constant-time anyway.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import Engine, delete, select
from sqlmodel import Session

from forewarn.schemas.base import utcnow

from ..inventory.models import Tenant, UnknownTenant
from ..platform.db import again_on_conflict, transaction
from .models import TenantToken


def tenant_links(base_url: str, token: str) -> dict[str, str]:
    """A tenant's page, its calendar, and that calendar as a webcal:// address for calendar apps."""
    page = f"{base_url}/t/{token}"
    calendar = f"{page}/calendar.ics"
    return {"page": page, "calendar": calendar, "webcal": "webcal://" + calendar.split("://", 1)[1]}


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(engine: Engine, tenant_id: str) -> str:
    """A new token for the tenant; it replaces (and so revokes) any earlier one."""
    token = secrets.token_urlsafe(32)
    again_on_conflict(_store, engine, tenant_id, digest(token))
    return token


def _store(engine: Engine, tenant_id: str, hashed: str) -> None:
    with transaction(engine) as session:
        if session.get(Tenant, tenant_id) is None:
            raise UnknownTenant(tenant_id)
        row = session.get(TenantToken, tenant_id) or TenantToken(tenant_id=tenant_id)
        row.token_sha256 = hashed
        row.issued_at = utcnow()
        session.add(row)


def revoke(engine: Engine, tenant_id: str) -> bool:
    """Forget the tenant's token; False if it had none."""
    with transaction(engine) as session:
        if session.get(Tenant, tenant_id) is None:
            raise UnknownTenant(tenant_id)
        return session.execute(delete(TenantToken).where(TenantToken.tenant_id == tenant_id)).rowcount > 0


def tenant_for(engine: Engine, token: str) -> Tenant | None:
    """The tenant a token opens, or None for any wrong, revoked or malformed token."""
    if not token or len(token) > 128:
        return None
    hashed = digest(token)
    with Session(engine) as session:
        row = session.execute(
            select(TenantToken, Tenant)
            .join(Tenant, Tenant.id == TenantToken.tenant_id)
            .where(TenantToken.token_sha256 == hashed)
        ).first()
    if row is None or not hmac.compare_digest(row[0].token_sha256, hashed):
        return None
    return row[1]
