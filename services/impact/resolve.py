"""Hosts to resources to tenants, as a streaming query over the inventory."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from pydantic_core import to_json
from sqlalchemy import Connection, Engine, select

from forewarn.schemas.base import SCHEMA_VERSION, utcnow
from forewarn.schemas.events import ImpactCause, WindowView

from ..db import in_chunks
from ..inventory.models import Host, Resource, Tenant, TenantContact

# Rough JSON sizes, to split a large result into messages below max_payload.
_BYTES_PER_RESOURCE = 110
_BYTES_PER_CONTACT = 120
_BYTES_PER_TENANT = 300


@dataclass
class Resolution:
    """What a window touches: public counts, and each tenant's own resources.

    Tenants and resources are plain dicts in ImpactResolved's JSON shape: they
    are encoded as they are, far faster than a model per row, and every
    consumer validates what it reads.
    """

    components: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    tenants: dict[str, dict] = field(default_factory=dict)
    resource_count: int = 0


def _rows(conn: Connection, hosts: list[str]) -> Iterator[tuple]:
    """Each affected host with each resource on it and its owner (or none), chunk by chunk."""
    for chunk in in_chunks(hosts):
        query = (
            select(
                Host.name,
                Host.site,
                Host.role,
                Resource.id,
                Resource.name,
                Resource.kind,
                Tenant.id,
                Tenant.name,
                Tenant.timezone,
                Tenant.locale,
            )
            .outerjoin(Resource, Resource.host == Host.name)
            .outerjoin(Tenant, Tenant.id == Resource.tenant)
            .where(Host.name.in_(chunk))
        )
        yield from conn.execute(query)


def resolve_hosts(conn: Connection, hosts: list[str], *, impact: str = "") -> Resolution:
    """Group the resources on these hosts by tenant, and count per component."""
    result = Resolution()
    tenants = result.tenants
    counted: set[str] = set()
    for host, site, role, rid, rname, kind, tid, tname, tz, locale in _rows(conn, hosts):
        counts = result.components[(site, role)]
        if host not in counted:
            counted.add(host)
            counts[0] += 1
        if rid is None:
            continue
        counts[1] += 1
        result.resource_count += 1
        tenant = tenants.get(tid)
        if tenant is None:
            tenant = tenants[tid] = tenant_entry(tid, tname, tz, locale, impact)
        tenant["resources"].append(
            {"schema_version": SCHEMA_VERSION, "id": rid, "name": rname, "kind": kind, "host": host}
        )
    add_contacts(conn, tenants)
    return result


def tenant_entry(tid: str, name: str, timezone: str, locale: str, impact: str) -> dict:
    """A tenant in ImpactResolved's JSON shape, before its contacts and resources."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tenant_id": tid,
        "name": name,
        "timezone": timezone,
        "locale": locale,
        "contacts": [],
        "resources": [],
        "impact": impact,
    }


def add_contacts(conn: Connection, tenants: dict[str, dict]) -> None:
    """Fill in each tenant's contacts from the inventory."""
    for chunk in in_chunks(sorted(tenants)):
        query = (
            select(TenantContact.tenant_id, TenantContact.email, TenantContact.name, TenantContact.mode)
            .where(TenantContact.tenant_id.in_(chunk))
            .order_by(TenantContact.id)
        )
        for tid, email, name, mode in conn.execute(query):
            tenants[tid]["contacts"].append(
                {"schema_version": SCHEMA_VERSION, "email": email, "name": name, "mode": mode}
            )


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
    """The ImpactResolved message(s) for one window revision, split to fit max_bytes and max_tenants.

    The rows come from our own validated store, so the messages are encoded
    straight from them; every consumer validates them as ImpactResolved (and a
    test holds the encoding to that contract).
    """
    with engine.connect() as conn:
        found = resolve_hosts(conn, window.hosts, impact=window.impact.value)
    tenants = [found.tenants[t] for t in sorted(found.tenants)]
    return encode_impact(window, cause, found, tenants, max_bytes=max_bytes, max_tenants=max_tenants)


def encode_impact(
    window: WindowView,
    cause: ImpactCause,
    found: Resolution,
    tenants: list[dict],
    *,
    max_bytes: int,
    max_tenants: int,
    drift: int = 0,
    left: list[dict] | None = None,
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
    header = len(to_json(common)) + len(to_json(left)) + 1024
    parts = _split(tenants, budget=max(max_bytes - header, 8 * 1024), max_tenants=max_tenants)
    return [
        ImpactMessage(
            part=i,
            parts=len(parts),
            tenant_count=len(found.tenants),
            resource_count=found.resource_count,
            body=to_json(
                common | {"tenants": part, "part": i, "parts": len(parts), "left": left if i == 1 else []}
            ),
            tenant_ids=tuple(t["tenant_id"] for t in part),
        )
        for i, part in enumerate(parts, start=1)
    ]


def _split(tenants: list[dict], *, budget: int, max_tenants: int) -> list[list[dict]]:
    # Parts are the unit of work the notifiers share: bounded by size for the
    # server, and by count so that a large window spreads over every notifier.
    parts: list[list[dict]] = [[]]
    size = 0
    for tenant in tenants:
        cost = (
            _BYTES_PER_TENANT
            + _BYTES_PER_RESOURCE * len(tenant["resources"])
            + _BYTES_PER_CONTACT * len(tenant["contacts"])
        )
        if parts[-1] and (size + cost > budget or len(parts[-1]) >= max_tenants):
            parts.append([])
            size = 0
        parts[-1].append(tenant)
        size += cost
    return parts
