"""A summary of the inventory by site and role."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from .models import Host, Resource, Site, Tenant


def summarize(engine: Engine, *, site: str | None = None) -> list[dict]:
    """Hosts, resources and tenants for each (site, role)."""
    query = (
        select(
            Host.site,
            Site.name,
            Host.role,
            func.count(func.distinct(Host.name)),
            func.count(Resource.id),
            func.count(func.distinct(Resource.tenant)),
        )
        .join(Site, Site.code == Host.site)
        .outerjoin(Resource, Resource.host == Host.name)
        .group_by(Host.site, Site.name, Host.role)
        .order_by(Host.site, Host.role)
    )
    if site:
        query = query.where(Host.site == site)
    with Session(engine) as session:
        return [
            {"site": s, "site_name": n, "role": r, "hosts": h, "resources": res, "tenants": t}
            for s, n, r, h, res, t in session.execute(query)
        ]


def tenant_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Tenant)) or 0


def hosts(
    engine: Engine, *, site: str | None = None, role: str | None = None, tag: str | None = None
) -> list[dict]:
    """The hosts that match every filter given, by name: what a booking's --hosts can name."""
    query = select(Host).order_by(Host.site, Host.role, Host.name)
    if site:
        query = query.where(Host.site == site)
    if role:
        query = query.where(Host.role == role)
    with Session(engine) as session:
        found = session.scalars(query).all()
    return [
        {"name": h.name, "site": h.site, "role": h.role, "tags": list(h.tags)}
        for h in found
        if not tag or tag in h.tags
    ]
