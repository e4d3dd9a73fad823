"""Make the store hold what one source says: a diff against its rows, applied in one transaction.

A file adds and updates (an operator's export may be partial); a sync from a
cloud is the whole truth for its source, so it also removes what the cloud no
longer lists. Either way, rows of other sources are left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Literal

from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from ..platform.db import transaction
from .models import Host, Resource, Site, Tenant, TenantContact
from .records import HostIn, ResourceIn, SiteIn, TenantIn

Kind = Literal["added", "changed", "moved", "removed"]
SECTIONS = ("sites", "hosts", "tenants", "resources")


@dataclass
class Snapshot:
    """Everything one source says, validated as an inventory file is."""

    sites: list[SiteIn] = field(default_factory=list)
    hosts: list[HostIn] = field(default_factory=list)
    tenants: list[TenantIn] = field(default_factory=list)
    resources: list[ResourceIn] = field(default_factory=list)
    # Said about the source, for the operator: e.g. a project with servers and no contact.
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Change:
    """One row that a sync adds, changes, moves or removes."""

    section: str
    key: str
    kind: Kind
    detail: str = ""  # what changed: the fields, or "host-a → host-b" for a move


@dataclass
class SyncResult:
    """What a sync found and did."""

    source: str
    changes: list[Change]
    warnings: list[str]
    applied: bool
    # Hosts whose resources changed: where they were and where they are.
    hosts: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, dict[str, int]]:
        """{section: {kind: n}} for every section, zeros included: a table for people."""
        table = {s: {k: 0 for k in ("added", "changed", "moved", "removed")} for s in SECTIONS}
        for change in self.changes:
            table[change.section][change.kind] += 1
        return table

    def as_json(self) -> dict:
        return {
            "source": self.source,
            "applied": self.applied,
            "counts": self.counts(),
            "changes": [asdict(c) for c in self.changes],
            "hosts": self.hosts,
            "warnings": self.warnings,
        }


def _rows(snapshot: Snapshot) -> dict[str, dict[str, dict]]:
    """The snapshot as the store's rows: {section: {key: columns}}, contacts within their tenant."""
    tenants = {}
    for t in snapshot.tenants:
        row = t.model_dump(exclude={"contacts"})
        row["contacts"] = sorted((c.email, c.name, c.mode) for c in t.contacts)
        tenants[t.id] = row
    return {
        "sites": {s.code: s.model_dump() for s in snapshot.sites},
        "hosts": {h.name: h.model_dump() | {"tags": sorted(h.tags)} for h in snapshot.hosts},
        "tenants": tenants,
        "resources": {r.id: r.model_dump(mode="json") for r in snapshot.resources},
    }


def _stored(session: Session, source: str) -> dict[str, dict[str, dict]]:
    """The store's rows of one source, in the shape of _rows."""
    contacts: dict[str, list] = {}
    for c in session.scalars(
        select(TenantContact)
        .join(Tenant, Tenant.id == TenantContact.tenant_id)
        .where(Tenant.source == source)
    ):
        contacts.setdefault(c.tenant_id, []).append((c.email, c.name, c.mode))

    def of(model, key: str, columns: Iterable[str]) -> dict[str, dict]:
        rows = session.scalars(select(model).where(model.source == source))
        return {getattr(r, key): {c: getattr(r, c) for c in columns} for r in rows}

    tenants = of(Tenant, "id", ("id", "name", "timezone", "locale"))
    for tenant_id, row in tenants.items():
        row["contacts"] = sorted(contacts.get(tenant_id, []))
    hosts = of(Host, "name", ("name", "site", "role", "tags", "zone"))
    for row in hosts.values():
        row["tags"] = sorted(row["tags"])
    return {
        "sites": of(Site, "code", ("code", "name", "timezone")),
        "hosts": hosts,
        "tenants": tenants,
        "resources": of(Resource, "id", ("id", "name", "kind", "host", "tenant")),
    }


def diff(
    stored: dict[str, dict[str, dict]], wanted: dict[str, dict[str, dict]], *, removes: bool
) -> list[Change]:
    """What turns the stored rows into the wanted ones; a resource on another host has moved."""
    changes = []
    for section in SECTIONS:
        have, want = stored[section], wanted[section]
        for key in sorted(want):
            if key not in have:
                changes.append(Change(section, key, "added"))
            elif have[key] != want[key]:
                fields = sorted(c for c in want[key] if want[key][c] != have[key].get(c))
                if section == "resources" and fields == ["host"]:
                    changes.append(
                        Change(section, key, "moved", f"{have[key]['host']} → {want[key]['host']}")
                    )
                else:
                    changes.append(Change(section, key, "changed", ", ".join(fields)))
        if removes:
            changes.extend(Change(section, key, "removed") for key in sorted(set(have) - set(want)))
    return changes


def sync(
    engine: Engine,
    source: str,
    snapshot: Snapshot,
    *,
    removes: bool = True,
    dry_run: bool = False,
    check: Callable[[Session], None] | None = None,
) -> SyncResult:
    """Make the store hold what the source says, all of it or nothing; run again, it changes nothing.

    Rows another source holds under the same key are taken over. A removal that
    another source's rows still need (a host under a file's resources) fails the
    whole sync, and the previous inventory stays. `check` may refuse the snapshot
    by raising, inside the same transaction.
    """
    wanted = _rows(snapshot)
    with transaction(engine) as session:
        if check:
            check(session)
        stored = _stored(session, source)
        changes = diff(stored, wanted, removes=removes)
        # Rows of another source under the same keys also change hands.
        changes += _taken_over(session, source, wanted, changes)
        if not dry_run:
            _apply(session, source, snapshot, changes)
    hosts = {
        rows[c.key]["host"]
        for c in changes
        if c.section == "resources"
        for rows in (stored["resources"], wanted["resources"])
        if c.key in rows
    }
    return SyncResult(source, changes, snapshot.warnings, applied=not dry_run, hosts=sorted(hosts))


_MODELS = {
    "sites": (Site, "code"),
    "hosts": (Host, "name"),
    "tenants": (Tenant, "id"),
    "resources": (Resource, "id"),
}


def _taken_over(
    session: Session, source: str, wanted: dict[str, dict[str, dict]], seen: list[Change]
) -> list[Change]:
    """Keys the source lists that the store holds under another source: changes, not additions."""
    added = {(c.section, c.key) for c in seen if c.kind == "added"}
    found = []
    for section, (model, key) in _MODELS.items():
        keys = [k for k in wanted[section] if (section, k) in added]
        if not keys:
            continue
        column = getattr(model, key)
        for k, other in session.execute(select(column, model.source).where(column.in_(keys))):
            found.append((section, k, other))
    if not found:
        return []
    taken = {(s, k) for s, k, _ in found}
    seen[:] = [c for c in seen if (c.section, c.key) not in taken]
    return [Change(s, k, "changed", f"source {other} → {source}") for s, k, other in found]


def upsert(session: Session, model: type[SQLModel], rows: list[dict], key: str) -> None:
    """Insert rows, or update those whose key exists, in statements of 500."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__
    for start in range(0, len(rows), 500):
        stmt = insert(table).values(rows[start : start + 500])
        updates = {c.name: stmt.excluded[c.name] for c in table.columns if c.name != key}
        session.execute(stmt.on_conflict_do_update(index_elements=[key], set_=updates))


def _apply(session: Session, source: str, snapshot: Snapshot, changes: list[Change]) -> None:
    upsert(session, Site, [s.model_dump() | {"source": source} for s in snapshot.sites], "code")
    upsert(session, Host, [h.model_dump() | {"source": source} for h in snapshot.hosts], "name")
    upsert(
        session,
        Tenant,
        [t.model_dump(exclude={"contacts"}) | {"source": source} for t in snapshot.tenants],
        "id",
    )
    changed_tenants = {c.key for c in changes if c.section == "tenants" and c.kind != "removed"}
    for tenant in snapshot.tenants:
        if tenant.id in changed_tenants:
            session.execute(delete(TenantContact).where(TenantContact.tenant_id == tenant.id))
            session.add_all(TenantContact(tenant_id=tenant.id, **c.model_dump()) for c in tenant.contacts)
    session.flush()
    upsert(
        session, Resource, [r.model_dump(mode="json") | {"source": source} for r in snapshot.resources], "id"
    )
    # Removals go from the leaves up: resources, then tenants and hosts, then sites.
    for section in reversed(SECTIONS):
        gone = [c.key for c in changes if c.section == section and c.kind == "removed"]
        model, key = _MODELS[section]
        if section == "tenants" and gone:
            session.execute(delete(TenantContact).where(TenantContact.tenant_id.in_(gone)))
        if gone:
            session.execute(delete(model).where(getattr(model, key).in_(gone), model.source == source))
