"""Impact resolution against a real database: right tenants, valid messages, split when large."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from forewarn.schemas.base import Impact
from forewarn.schemas.impact import ImpactCause, ImpactResolved
from forewarn.schemas.windows import WindowView
from forewarn.services.impact.resolve import resolve_impact
from forewarn.services.inventory.load import load_inventory
from forewarn.services.inventory.models import Resource
from tests.factories import make_window


def _window(hosts: list[str]) -> WindowView:
    return make_window(id="mw-test0001", impact=Impact.DEGRADED, revision=3, hosts=hosts)


def test_resolves_exactly_the_tenants_on_the_hosts(engine, example_inventory) -> None:
    load_inventory(engine=engine, path=example_inventory)
    hosts = ["sto1-cmp-01", "sto1-cmp-02", "sto1-gpu-a2-01"]
    [message] = resolve_impact(engine, _window(hosts), ImpactCause.RESCHEDULED, max_bytes=1 << 20)
    event = ImpactResolved.model_validate_json(message.body)  # the consumer's view: the contract holds
    with Session(engine) as session:
        expected = session.execute(select(Resource.tenant, Resource.id).where(Resource.host.in_(hosts))).all()
    assert {(t.tenant_id, r.id) for t in event.tenants for r in t.resources} == set(expected)
    assert event.tenant_count == len({t for t, _ in expected}) and event.resource_count == len(expected)
    assert all(t.contacts and t.impact is Impact.DEGRADED for t in event.tenants)
    assert {(c.site, c.role, c.hosts) for c in event.components} == {
        ("STO1", "compute", 2),
        ("STO1", "gpu", 1),
    }
    assert event.cause is ImpactCause.RESCHEDULED and event.window.revision == 3


def test_large_results_are_split_below_the_payload_limit(engine, example_inventory) -> None:
    load_inventory(engine=engine, path=example_inventory)
    hosts = [f"sto1-cmp-{i:02d}" for i in range(1, 17)] + [f"sto2-cmp-{i:02d}" for i in range(1, 13)]
    messages = resolve_impact(engine, _window(hosts), ImpactCause.SCHEDULED, max_bytes=24 * 1024)
    events = [ImpactResolved.model_validate_json(m.body) for m in messages]
    assert len(events) > 1 and [e.part for e in events] == list(range(1, len(events) + 1))
    assert all(len(m.body) < 24 * 1024 for m in messages)
    tenants = [t.tenant_id for e in events for t in e.tenants]
    assert len(tenants) == len(set(tenants)) == events[0].tenant_count
    assert sum(len(t.resources) for e in events for t in e.tenants) == events[0].resource_count


def test_hosts_without_resources_affect_nobody(engine, example_inventory, tmp_path) -> None:
    load_inventory(engine=engine, path=example_inventory)
    empty = tmp_path / "empty.yaml"
    empty.write_text("hosts: [{name: sto1-spare-01, site: STO1, role: compute}]\n")
    load_inventory(engine=engine, path=empty)
    [message] = resolve_impact(engine, _window(["sto1-spare-01"]), ImpactCause.SCHEDULED, max_bytes=1 << 20)
    event = ImpactResolved.model_validate_json(message.body)
    assert event.tenants == [] and event.tenant_count == 0
    assert [(c.site, c.role, c.hosts, c.resources) for c in event.components] == [("STO1", "compute", 1, 0)]


def test_parts_hold_at_most_the_configured_tenants(engine, example_inventory) -> None:
    # The parts are what several notifier processes share: a window's notices spread over them.
    load_inventory(engine=engine, path=example_inventory)
    hosts = [f"sto1-cmp-{i:02d}" for i in range(1, 17)]
    messages = resolve_impact(engine, _window(hosts), ImpactCause.SCHEDULED, max_bytes=1 << 20, max_tenants=3)
    events = [ImpactResolved.model_validate_json(m.body) for m in messages]
    assert [len(e.tenants) for e in events[:-1]] == [3] * (len(events) - 1)
    assert 1 <= len(events[-1].tenants) <= 3
    tenants = [t.tenant_id for e in events for t in e.tenants]
    assert len(tenants) == len(set(tenants)) == events[0].tenant_count > 3
    assert {e.parts for e in events} == {len(events)}
