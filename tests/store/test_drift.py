"""Drift against a real database: who joined and left a scheduled window as servers moved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from forewarn.schemas.base import Impact
from forewarn.schemas.commands import CancelWindow
from forewarn.schemas.impact import Contact, ImpactCause, ImpactResolved, TenantImpact
from forewarn.services.impact import drift
from forewarn.services.impact.resolve import encode_impact, resolve_impact
from forewarn.services.inventory.load import load_inventory
from forewarn.services.inventory.models import Resource
from forewarn.services.mail import ledger
from forewarn.services.mail.notice import Notice
from forewarn.services.platform.db import transaction
from forewarn.services.scheduler import lifecycle, queries
from forewarn.services.scheduler.freezes import FreezeCalendar
from forewarn.services.scheduler.rules import Rules
from tests.factories import book_in_store, make_window

NOW = datetime.now(UTC).replace(microsecond=0)
RULES = Rules(min_lead=timedelta(0), max_duration=timedelta(days=14), freezes=FreezeCalendar([]))


@pytest.fixture
def booked(engine, example_inventory) -> str:
    """A window on sto1-cmp-01, its tenants recorded as told."""
    load_inventory(engine=engine, path=example_inventory)
    window_id = book_in_store(engine, "cmd-drift-0001", NOW)
    window = _view(engine, window_id)
    told = resolve_impact(engine, window, ImpactCause.SCHEDULED, max_bytes=1 << 20)
    drift.record(engine, window, {t for m in told for t in m.tenant_ids})
    return window_id


def _view(engine, window_id):
    with Session(engine) as session:
        return queries.window_view(session, window_id)


def _move(engine, resource_ids: list[str], host: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(Resource).where(Resource.id.in_(resource_ids)).values(host=host))


def _on(engine, host: str) -> dict[str, list[str]]:
    mine: dict[str, list[str]] = {}
    with Session(engine) as session:
        for r in session.exec(select(Resource).where(Resource.host == host)):
            mine.setdefault(r.tenant, []).append(r.id)
    return mine


def test_nothing_moved_is_no_drift(engine, booked) -> None:
    assert drift.compare(engine, booked) is None


def test_a_newcomer_joins_and_a_tenant_whose_servers_all_left_leaves(engine, booked) -> None:
    before = _on(engine, "sto1-cmp-01")
    leaver = sorted(before)[0]
    newcomer = next(t for t, ids in sorted(_on(engine, "sto2-cmp-01").items()) if t not in before)
    _move(engine, before[leaver], "sto2-cmp-12")
    _move(engine, _on(engine, "sto2-cmp-01")[newcomer][:1], "sto1-cmp-01")

    found = drift.compare(engine, booked)
    assert found is not None and found.drift == 1
    assert [t.tenant_id for t in found.joined] == [newcomer]
    assert [t.tenant_id for t in found.left] == [leaver]
    assert found.left[0].contacts and found.left[0].resources == 0

    # What the notifier and reporter read holds the contract.
    [message] = encode_impact(
        found.window,
        ImpactCause.DRIFTED,
        found.found,
        found.joined,
        max_bytes=1 << 20,
        max_tenants=100,
        drift=found.drift,
        left=found.left,
    )
    event = ImpactResolved.model_validate_json(message.body)
    assert event.drift == 1 and [t.tenant_id for t in event.tenants] == [newcomer]
    assert [t.tenant_id for t in event.left] == [leaver]
    assert event.tenant_count == len(before)  # one joined, one left

    drift.settle(engine, found)
    assert drift.compare(engine, booked) is None
    drift.settle(engine, found)  # a redelivery settles nothing twice

    # The leaver coming back is a second drift of the same revision.
    _move(engine, before[leaver][:1], "sto1-cmp-01")
    again = drift.compare(engine, booked)
    assert again is not None and again.drift == 2
    assert [t.tenant_id for t in again.joined] == [leaver] and again.left == []


def test_a_tenant_gone_from_the_inventory_still_leaves(engine, booked) -> None:
    before = _on(engine, "sto1-cmp-01")
    leaver = sorted(before)[0]
    with engine.begin() as conn:
        conn.execute(update(Resource).where(Resource.tenant == leaver).values(host="sto2-cmp-12"))
    found = drift.compare(engine, booked)
    assert found is not None and [t.tenant_id for t in found.left] == [leaver]


def test_only_a_scheduled_window_whose_revision_was_told_drifts(engine, booked) -> None:
    before = _on(engine, "sto1-cmp-01")
    _move(engine, before[sorted(before)[0]], "sto2-cmp-12")
    assert drift.windows_on(engine, ["sto1-cmp-01", "sto2-cmp-12"]) == [(booked, 1)]

    older = _view(engine, booked).model_copy(update={"revision": 0})
    drift.record(engine, older, set())  # a late resolution of an older revision changes nothing
    assert drift.compare(engine, booked) is not None

    with transaction(engine) as session:
        cancel = CancelWindow(command_id="cmd-drift-0002", window_id=booked, reason="Not needed")
        lifecycle.cancel(session, cancel, rules=RULES, now=NOW)
    assert drift.compare(engine, booked) is None
    assert drift.windows_on(engine, ["sto1-cmp-01"]) == []
    drift.forget(engine, booked)


def test_every_change_in_one_slot_fires_once_a_slot_after_its_end() -> None:
    every = timedelta(seconds=10)
    first, fires = drift.slot(datetime(2026, 12, 1, 22, 0, 1, tzinfo=UTC), every)
    later, same = drift.slot(datetime(2026, 12, 1, 22, 0, 9, 900000, tzinfo=UTC), every)
    assert (first, fires) == (later, same) and fires == datetime(2026, 12, 1, 22, 0, 20, tzinfo=UTC)
    assert drift.slot(datetime(2026, 12, 1, 22, 0, 10, tzinfo=UTC), every)[0] == first + 1


def test_reminders_skip_exactly_the_tenants_a_drift_last_told_they_left(engine) -> None:
    window = make_window(id="mw-drift0001", revision=2)

    def told(tenant: str, kind: str, drift: int, revision: int = 2) -> None:
        contact = Contact(email=f"ops@{tenant}.example")
        impact = TenantImpact(
            tenant_id=tenant, name=tenant, timezone="UTC", locale="en", contacts=[contact], resources=[],
            impact=Impact.OUTAGE,
        )  # fmt: skip
        view = window.model_copy(update={"revision": revision})
        ledger.claim(engine, [Notice(kind=kind, window=view, tenant=impact, contact=contact, drift=drift)])

    told("left-once", "withdrawn", 1)
    told("back-again", "withdrawn", 1)
    told("back-again", "joined", 2)
    told("joined-only", "joined", 3)
    told("left-last", "joined", 9)
    told("left-last", "withdrawn", 12)  # numbers compare as numbers, not text
    told("older-revision", "withdrawn", 1, revision=1)
    assert ledger.withdrawn(engine, "mw-drift0001", 2) == {"left-once", "left-last"}
