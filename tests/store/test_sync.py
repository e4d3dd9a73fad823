"""A source's sync on SQLite and PostgreSQL: a diff, applied whole or not at all, and idempotent."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from forewarn.services.inventory import follow
from forewarn.services.inventory.load import load_inventory
from forewarn.services.inventory.models import Host, Resource, Tenant, TenantContact
from forewarn.services.inventory.notifications import ServerMoved
from forewarn.services.inventory.records import ContactIn, HostIn, ResourceIn, SiteIn, TenantIn
from forewarn.services.inventory.sync import Change, Snapshot, sync

CLOUD = "openstack:sto"


def _cloud(servers: dict[str, str], contacts: dict[str, list[str]] | None = None) -> Snapshot:
    """One site, three hosts; servers {id: host}, owned by tenant p1 unless named p2-…."""
    contacts = contacts if contacts is not None else {"p1": ["ops@p1.example"], "p2": ["ops@p2.example"]}
    return Snapshot(
        sites=[SiteIn(code="STO1", name="Stockholm 1", timezone="Europe/Stockholm")],
        hosts=[HostIn(name=f"cmp-{n}", site="STO1", role="compute", tags=["az1"]) for n in (1, 2, 3)],
        tenants=[
            TenantIn(
                id=t,
                name=f"Project {t}",
                timezone="Europe/Stockholm",
                contacts=[ContactIn(email=e) for e in contacts.get(t, [])],
            )
            for t in ("p1", "p2")
        ],
        resources=[
            ResourceIn(id=s, name=f"vm {s}", kind="vm", host=h, tenant="p2" if s.startswith("p2") else "p1")
            for s, h in servers.items()
        ],
    )


def test_first_sync_adds_everything_and_a_second_changes_nothing(engine) -> None:
    first = sync(engine, CLOUD, _cloud({"a": "cmp-1", "p2-b": "cmp-2"}))
    assert first.counts()["resources"]["added"] == 2
    assert first.counts()["hosts"]["added"] == 3
    assert sync(engine, CLOUD, _cloud({"a": "cmp-1", "p2-b": "cmp-2"})).changes == []
    with Session(engine) as session:
        assert {r.id: (r.host, r.source) for r in session.scalars(select(Resource))} == {
            "a": ("cmp-1", CLOUD),
            "p2-b": ("cmp-2", CLOUD),
        }


def test_moved_changed_and_removed_are_told_apart(engine) -> None:
    sync(engine, CLOUD, _cloud({"a": "cmp-1", "b": "cmp-1", "p2-c": "cmp-2"}))
    later = _cloud(
        {"a": "cmp-3", "b": "cmp-1"}, contacts={"p1": ["new@p1.example"], "p2": ["ops@p2.example"]}
    )
    later.resources[1] = later.resources[1].model_copy(update={"name": "renamed"})
    result = sync(engine, CLOUD, later)
    assert set(result.changes) == {
        Change("resources", "a", "moved", "cmp-1 → cmp-3"),
        Change("resources", "b", "changed", "name"),
        Change("resources", "p2-c", "removed"),
        Change("tenants", "p1", "changed", "contacts"),
    }
    with Session(engine) as session:
        assert session.get(Resource, "p2-c") is None
        emails = session.scalars(select(TenantContact.email).where(TenantContact.tenant_id == "p1")).all()
    assert emails == ["new@p1.example"]


def test_a_dry_run_says_what_would_change_and_changes_nothing(engine) -> None:
    sync(engine, CLOUD, _cloud({"a": "cmp-1"}))
    result = sync(engine, CLOUD, _cloud({"a": "cmp-2"}), dry_run=True)
    assert result.changes == [Change("resources", "a", "moved", "cmp-1 → cmp-2")] and not result.applied
    with Session(engine) as session:
        assert session.get(Resource, "a").host == "cmp-1"


def test_a_cloud_sync_leaves_a_files_rows_alone(engine, example_inventory) -> None:
    load_inventory(engine=engine, path=example_inventory)
    with Session(engine) as session:
        before = len(session.scalars(select(Resource)).all())
    sync(engine, CLOUD, _cloud({"a": "cmp-1"}))
    sync(engine, CLOUD, _cloud({}))  # the cloud's server is gone; the file's stay
    with Session(engine) as session:
        assert len(session.scalars(select(Resource)).all()) == before
        assert {h.source for h in session.scalars(select(Host))} == {"file", CLOUD}


def test_a_sync_that_fails_part_way_leaves_the_previous_inventory(engine, example_inventory) -> None:
    sync(engine, CLOUD, _cloud({"a": "cmp-1"}))
    load_inventory(engine=engine, path=example_inventory)
    # A file's resource now stands on one of the cloud's hosts ...
    with Session(engine) as session:
        resource = session.scalars(select(Resource).where(Resource.source == "file")).first()
        resource.host = "cmp-2"
        session.add(resource)
        session.commit()
    # ... so the cloud dropping that host cannot go through, and nothing of it does.
    gone = _cloud({"a": "cmp-3"})
    gone.hosts = [h for h in gone.hosts if h.name != "cmp-2"]
    with pytest.raises(IntegrityError):
        sync(engine, CLOUD, gone)
    with Session(engine) as session:
        assert session.get(Host, "cmp-2") is not None
        assert session.get(Resource, "a").host == "cmp-1"


def test_a_row_another_source_holds_is_taken_over_as_a_change(engine) -> None:
    sync(engine, "openstack:other", _cloud({"a": "cmp-1"}))
    result = sync(engine, CLOUD, _cloud({"a": "cmp-1"}))
    assert Change("resources", "a", "changed", f"source openstack:other → {CLOUD}") in result.changes
    assert not [c for c in result.changes if c.kind == "added"]
    with Session(engine) as session:
        assert session.get(Tenant, "p1").source == CLOUD


def _heard(server: str, host: str | None, n: int) -> ServerMoved:
    event = "instance.create.end" if host else "instance.delete.end"
    return ServerMoved(f"m{n}", event, server, "p1", host, f"vm {server}", "m1.small")


def test_a_burst_of_notifications_is_applied_in_its_order_in_one_transaction(engine) -> None:
    sync(engine, CLOUD, _cloud({"a": "cmp-1"}))
    burst = [
        _heard("new", "cmp-2", 1),  # booted ...
        _heard("a", "cmp-3", 2),  # a moved ...
        _heard("new", None, 3),  # ... and new deleted again, all before the batch is applied
        _heard("a", "cmp-3", 4),  # a repeat: nothing more
    ]
    planned = follow.apply(engine, CLOUD, burst, write=False)
    assert [a.changes for a in planned] == [
        [Change("resources", "new", "added")],
        [Change("resources", "a", "moved", "cmp-1 → cmp-3")],
        [Change("resources", "new", "removed", "from cmp-2")],
        [],
    ]
    assert [a.hosts for a in planned] == [["cmp-2"], ["cmp-1", "cmp-3"], ["cmp-2"], []]
    with Session(engine) as session:  # planning wrote nothing
        assert {r.id: r.host for r in session.scalars(select(Resource))} == {"a": "cmp-1"}
    assert follow.apply(engine, CLOUD, burst) == planned
    with Session(engine) as session:
        assert {r.id: r.host for r in session.scalars(select(Resource))} == {"a": "cmp-3"}
    # Redelivered, the burst plays again to the same end, its changes published under the same keys.
    follow.apply(engine, CLOUD, burst)
    with Session(engine) as session:
        assert {r.id: r.host for r in session.scalars(select(Resource))} == {"a": "cmp-3"}
