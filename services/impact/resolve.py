"""Hosts to resources to tenants, as a streaming query over the inventory."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from forewarn.schemas.events import (
    AffectedResource,
    ComponentImpact,
    Contact,
    ImpactCause,
    ImpactResolved,
    TenantImpact,
    WindowView,
)
from sqlalchemy import Connection, Engine, select

from ..inventory.models import Host, Resource, Tenant, TenantContact

_CHUNK = 900  # hosts per query: below every driver's bound-parameter limit
# Rough JSON sizes, to split a large result into messages below max_payload.
_BYTES_PER_RESOURCE = 110
_BYTES_PER_CONTACT = 120
_BYTES_PER_TENANT = 300


@dataclass
class Resolution:
    """What a window touches: public counts, and each tenant's own resources."""

    components: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    resources: dict[str, list[AffectedResource]] = field(default_factory=lambda: defaultdict(list))

    @property
    def resource_count(self) -> int:
        return sum(len(r) for r in self.resources.values())


def _rows(conn: Connection, hosts: list[str]) -> Iterator[tuple]:
    """Each affected host with each resource on it (or none), chunk by chunk."""
    for start in range(0, len(hosts), _CHUNK):
        query = (
            select(
                Host.name, Host.site, Host.role, Resource.id, Resource.name, Resource.kind, Resource.tenant
            )
            .outerjoin(Resource, Resource.host == Host.name)
            .where(Host.name.in_(hosts[start : start + _CHUNK]))
        )
        yield from conn.execute(query)


def resolve_hosts(conn: Connection, hosts: list[str]) -> Resolution:
    """Group the resources on these hosts by tenant, and count per component."""
    result = Resolution()
    seen_hosts: set[str] = set()
    build = AffectedResource.model_construct  # rows come from our own store: no re-validation
    for host, site, role, rid, rname, kind, tenant in _rows(conn, hosts):
        counts = result.components[(site, role)]
        if host not in seen_hosts:
            seen_hosts.add(host)
            counts[0] += 1
        if rid is not None:
            counts[1] += 1
            result.resources[tenant].append(build(id=rid, name=rname, kind=kind, host=host))
    return result


def _tenants(conn: Connection, ids: list[str]) -> Iterator[tuple[Tenant, list[Contact]]]:
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        contacts: dict[str, list[Contact]] = defaultdict(list)
        query = select(TenantContact).where(TenantContact.tenant_id.in_(chunk)).order_by(TenantContact.id)
        for row in conn.execute(query):
            contacts[row.tenant_id].append(
                Contact.model_construct(email=row.email, name=row.name, mode=row.mode)
            )
        for row in conn.execute(select(Tenant).where(Tenant.id.in_(chunk)).order_by(Tenant.id)):
            yield row, contacts[row.id]


def resolve_impact(
    engine: Engine, window: WindowView, cause: ImpactCause, *, max_bytes: int
) -> list[ImpactResolved]:
    """The ImpactResolved message(s) for one window revision, split to fit max_bytes."""
    with engine.connect() as conn:
        found = resolve_hosts(conn, window.hosts)
        tenants = [
            TenantImpact.model_construct(
                tenant_id=t.id,
                name=t.name,
                timezone=t.timezone,
                locale=t.locale,
                contacts=contacts,
                resources=found.resources[t.id],
                impact=window.impact,
            )
            for t, contacts in _tenants(conn, sorted(found.resources))
        ]
    components = [
        ComponentImpact(site=site, role=role, hosts=n_hosts, resources=n_res)
        for (site, role), (n_hosts, n_res) in sorted(found.components.items())
    ]
    parts = _split(tenants, budget=max(max_bytes - 64 * 1024 - len(window.hosts) * 40, 64 * 1024))
    return [
        ImpactResolved(
            window=window,
            cause=cause,
            components=components,
            tenant_count=len(tenants),
            resource_count=found.resource_count,
            tenants=part,
            part=i,
            parts=len(parts),
        )
        for i, part in enumerate(parts, start=1)
    ]


def _split(tenants: list[TenantImpact], *, budget: int) -> list[list[TenantImpact]]:
    parts: list[list[TenantImpact]] = [[]]
    size = 0
    for tenant in tenants:
        cost = (
            _BYTES_PER_TENANT
            + _BYTES_PER_RESOURCE * len(tenant.resources)
            + _BYTES_PER_CONTACT * len(tenant.contacts)
        )
        if parts[-1] and size + cost > budget:
            parts.append([])
            size = 0
        parts[-1].append(tenant)
        size += cost
    return parts
