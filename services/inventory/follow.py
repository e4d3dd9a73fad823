"""Keeping a cloud's rows current between full syncs, notification by notification."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session

from .models import Host, Resource, Tenant
from .notifications import ServerMoved
from .openstack import ServerIn
from .sync import Change


@dataclass
class Applied:
    """What one notification changed in the store, or why it changed nothing."""

    changes: list[Change] = field(default_factory=list)
    # The server's host or project the store does not hold yet: the next full sync brings them.
    skipped: str = ""
    # Hosts whose resources changed: where the server was, and where it is.
    hosts: list[str] = field(default_factory=list)


def apply(engine: Engine, source: str, moves: Sequence[ServerMoved], *, write: bool = True) -> list[Applied]:
    """Put each server where its notification says, in their order, in one transaction; idempotent.

    With write=False it only says what they would change: the inventory service
    publishes that first and writes after, so a redelivery after a failed
    publish finds the same changes to publish again.
    """
    with Session(engine, expire_on_commit=False) as session:
        applied = []
        for moved in moves:
            applied.append(_apply(session, source, moved))
            session.flush()  # a later notification may be about the same server
        if write:
            session.commit()
        return applied  # without a commit, closing the session rolls back


def _apply(session: Session, source: str, moved: ServerMoved) -> Applied:
    """The change the notification makes, made in the session (not yet committed)."""
    row = session.get(Resource, moved.server_id)
    before = row.host if row is not None and row.source == source else None
    if moved.host is None:
        if before is None:
            return Applied()
        session.delete(row)
        return Applied([Change("resources", moved.server_id, "removed", f"from {before}")], hosts=[before])
    host = moved.host.lower()
    if session.get(Host, host) is None or session.get(Tenant, moved.project_id) is None:
        return Applied(skipped=f"server {moved.server_id} on {host}: its host or project is not synced yet")
    try:
        server = ServerIn(
            id=moved.server_id,
            name=moved.name,
            kind=moved.flavor or (row.kind if row is not None else "vm"),
            host=host,
            tenant=moved.project_id,
        )
    except ValidationError as exc:
        return Applied(skipped=f"server {moved.server_id}: {exc.errors(include_url=False)[0]['msg']}")
    if row is None:
        session.add(Resource(**server.model_dump(), source=source))
        return Applied([Change("resources", server.id, "added")], hosts=[host])
    was = (row.name, row.kind, row.host, row.tenant, row.source)
    row.name, row.kind, row.host, row.tenant, row.source = (
        server.name,
        server.kind,
        server.host,
        server.tenant,
        source,
    )
    if was == (row.name, row.kind, row.host, row.tenant, row.source):
        return Applied()
    if was[2] != host:
        change = Change("resources", server.id, "moved", f"{was[2]} → {host}")
        return Applied([change], hosts=sorted({was[2], host}))
    return Applied([Change("resources", server.id, "changed")], hosts=[host])
