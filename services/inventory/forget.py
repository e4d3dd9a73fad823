"""Removing a person's address from the inventory (`forewarn contact forget`)."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlmodel import Session

from .models import TenantContact

CONTACTS = TenantContact.__table__


def forget_contact(session: Session, address: str) -> list[str]:
    """Delete the address from every tenant's contacts; the tenants it was removed from.

    A source that still lists it (an inventory file, a cloud's project
    properties) adds it again at its next load or sync: remove it there too.
    """
    match = func.lower(CONTACTS.c.email) == address.lower()
    tenants = session.execute(select(CONTACTS.c.tenant_id).where(match).order_by(CONTACTS.c.tenant_id))
    found = list(tenants.scalars())
    session.execute(delete(CONTACTS).where(match))
    return found


def addresses_of(session: Session, tenant_id: str) -> list[str]:
    """Every address a tenant lists."""
    rows = session.execute(select(CONTACTS.c.email).where(CONTACTS.c.tenant_id == tenant_id))
    return sorted(rows.scalars())
