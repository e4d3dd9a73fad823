"""Hosts to resources to tenants: the affected set, grouped and encoded by the database."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic_core import to_json
from sqlalchemy import ColumnElement, Connection, Engine, Select, distinct, func, literal_column, select

from forewarn.schemas.base import SCHEMA_VERSION, utcnow
from forewarn.schemas.impact import ImpactCause
from forewarn.schemas.windows import WindowView

from ..inventory.models import Host, Resource, Tenant, TenantContact
from ..platform.db import in_chunks
from .sqljson import SqlJson


@dataclass(frozen=True)
class EncodedTenant:
    """One affected tenant, already encoded as ImpactResolved's TenantImpact.

    The JSON comes from our own validated store and is spliced into the message
    as it is; every consumer validates what it reads, and a test holds the
    encoding to that contract.
    """

    tenant_id: str
    name: str
    resources: int
    contacts: int
    json: bytes


@dataclass
class Resolution:
    """What a window touches: hosts and resources per component, and each tenant hit."""

    components: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    tenants: dict[str, EncodedTenant] = field(default_factory=dict)

    @property
    def resource_count(self) -> int:
        return sum(n_resources for _, n_resources in self.components.values())


def resolve_hosts(conn: Connection, hosts: list[str], *, impact: str = "") -> Resolution:
    """Count the hosts and resources per component, and group the resources on them by tenant."""
    sql = SqlJson(conn)
    components = conn.execute(
        select(Host.site, Host.role, func.count(distinct(Host.name)), func.count(Resource.id))
        .outerjoin(Resource, Resource.host == Host.name)
        .where(Host.name.in_(sql.names(hosts)))
        .group_by(Host.site, Host.role)
    )
    resources = sql.array_of(
        sql.object(
            schema_version=SCHEMA_VERSION,
            id=Resource.id,
            name=Resource.name,
            kind=Resource.kind,
            host=Resource.host,
        )
    )
    tenants = conn.execute(
        _tenants(sql, resources, func.count(Resource.id), impact)
        .select_from(Resource)
        .join(Tenant, Tenant.id == Resource.tenant)
        .where(Resource.host.in_(sql.names(hosts)))
        .group_by(Tenant.id)
    )
    return Resolution(
        components={(site, role): (n_hosts, n_resources) for site, role, n_hosts, n_resources in components},
        tenants={row.tenant_id: _encoded(row) for row in tenants},
    )


def tenants_without_resources(conn: Connection, tenant_ids: list[str], *, impact: str) -> list[EncodedTenant]:
    """These tenants with their contacts and no resources; one gone from the inventory under its id alone."""
    sql = SqlJson(conn)
    found: dict[str, EncodedTenant] = {}
    for chunk in in_chunks(tenant_ids):
        query = _tenants(sql, sql.empty_array(), literal_column("0"), impact).where(Tenant.id.in_(chunk))
        found.update((row.tenant_id, _encoded(row)) for row in conn.execute(query))
    return [found.get(t) or _unknown(t, impact) for t in tenant_ids]


def _tenants(sql: SqlJson, resources: ColumnElement, n_resources: ColumnElement, impact: str) -> Select:
    """Each tenant as TenantImpact's JSON, with these resources and its contacts in the inventory's order."""
    ordered = (
        select(TenantContact.email, TenantContact.name, TenantContact.mode)
        .where(TenantContact.tenant_id == Tenant.id)
        .order_by(TenantContact.id)
        .correlate(Tenant)
        .subquery()
    )
    contacts = select(
        sql.array_of(
            sql.object(
                schema_version=SCHEMA_VERSION, email=ordered.c.email, name=ordered.c.name, mode=ordered.c.mode
            )
        )
    ).scalar_subquery()
    n_contacts = (
        select(func.count()).where(TenantContact.tenant_id == Tenant.id).correlate(Tenant).scalar_subquery()
    )
    encoded = sql.object(
        schema_version=SCHEMA_VERSION,
        tenant_id=Tenant.id,
        name=Tenant.name,
        timezone=Tenant.timezone,
        locale=Tenant.locale,
        impact=impact,
        resources=resources,
        contacts=func.coalesce(contacts, sql.empty_array()),
    )
    return select(
        Tenant.id.label("tenant_id"),
        Tenant.name.label("name"),
        sql.text(encoded).label("json"),
        n_resources.label("resources"),
        n_contacts.label("contacts"),
    )


def _encoded(row) -> EncodedTenant:
    return EncodedTenant(row.tenant_id, row.name, row.resources, row.contacts, row.json.encode())


def _unknown(tenant_id: str, impact: str) -> EncodedTenant:
    # Gone from the inventory: nothing is known of it but its id, and nobody can be told.
    entry = {
        "schema_version": SCHEMA_VERSION,
        "tenant_id": tenant_id,
        "name": tenant_id,
        "timezone": "UTC",
        "locale": "en",
        "contacts": [],
        "resources": [],
        "impact": impact,
    }
    return EncodedTenant(tenant_id, tenant_id, 0, 0, to_json(entry))


@dataclass(frozen=True)
class ImpactMessage:
    """One encoded ImpactResolved message, with what its id and log line need."""

    part: int
    parts: int
    tenant_count: int
    resource_count: int
    body: bytes
    tenant_ids: tuple[str, ...] = ()


def resolve_impact(
    engine: Engine, window: WindowView, cause: ImpactCause, *, max_bytes: int, max_tenants: int = 100
) -> list[ImpactMessage]:
    """The ImpactResolved message(s) for one window revision, split to fit max_bytes and max_tenants."""
    with engine.connect() as conn:
        found = resolve_hosts(conn, window.hosts, impact=window.impact.value)
    tenants = [found.tenants[t] for t in sorted(found.tenants)]
    return encode_impact(window, cause, found, tenants, max_bytes=max_bytes, max_tenants=max_tenants)


def encode_impact(
    window: WindowView,
    cause: ImpactCause,
    found: Resolution,
    tenants: list[EncodedTenant],
    *,
    max_bytes: int,
    max_tenants: int,
    drift: int = 0,
    left: list[EncodedTenant] | None = None,
) -> list[ImpactMessage]:
    """ImpactResolved parts for these tenants, with the whole window's public summary in each.

    A drift's tenants who left ride in the first part: they carry no resources.
    """
    components = [
        {"schema_version": SCHEMA_VERSION, "site": site, "role": role, "hosts": n_hosts, "resources": n_res}
        for (site, role), (n_hosts, n_res) in sorted(found.components.items())
    ]
    common = {
        "schema_version": SCHEMA_VERSION,
        "window": window.model_dump(mode="json"),
        "cause": cause.value,
        "components": components,
        "tenant_count": len(found.tenants),
        "resource_count": found.resource_count,
        "drift": drift,
        "occurred_at": utcnow(),
    }
    left = left or []
    # What every part repeats (window, summary) comes off the budget for tenants.
    header = len(to_json(common)) + sum(len(t.json) + 1 for t in left) + 1024
    parts = _split(tenants, budget=max(max_bytes - header, 8 * 1024), max_tenants=max_tenants)
    return [
        ImpactMessage(
            part=i,
            parts=len(parts),
            tenant_count=len(found.tenants),
            resource_count=found.resource_count,
            body=_with_arrays(
                to_json(common | {"part": i, "parts": len(parts)}),
                tenants=part,
                left=left if i == 1 else [],
            ),
            tenant_ids=tuple(t.tenant_id for t in part),
        )
        for i, part in enumerate(parts, start=1)
    ]


def _with_arrays(head: bytes, **arrays: list[EncodedTenant]) -> bytes:
    """A JSON object with these arrays of encoded tenants added to it."""
    added = b"".join(
        b',"%s":[%s]' % (key.encode(), b",".join(t.json for t in items)) for key, items in arrays.items()
    )
    return head[:-1] + added + b"}"


def _split(tenants: list[EncodedTenant], *, budget: int, max_tenants: int) -> list[list[EncodedTenant]]:
    # Parts are the unit of work the notifiers share: bounded by size for the
    # server, and by count so that a large window spreads over every notifier.
    parts: list[list[EncodedTenant]] = [[]]
    size = 0
    for tenant in tenants:
        cost = len(tenant.json) + 1
        if parts[-1] and (size + cost > budget or len(parts[-1]) >= max_tenants):
            parts.append([])
            size = 0
        parts[-1].append(tenant)
        size += cost
    return parts
