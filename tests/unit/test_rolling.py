"""A rolling window's slots: planned, pushed by late work, and told anew only past the slack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from forewarn.schemas.base import Impact, WindowState
from forewarn.schemas.impact import AffectedResource, Contact, TenantImpact
from forewarn.schemas.windows import WindowView
from forewarn.services.common import rolling

T0 = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)
SLOT = timedelta(minutes=40)
SLACK = timedelta(minutes=15)
HOSTS = [f"sto1-cmp-{n:02d}" for n in range(1, 13)]


def _planned():
    return rolling.plan(rolling.in_batches(HOSTS, 2), start=T0, per_batch=SLOT, revision=1)


def _step(batches, number, step, at, revision):
    batches = rolling.report(batches, batches[number - 1].hosts, step, now=at, revision=revision)
    return rolling.reflow(batches, now=at, slack=SLACK, revision=revision)


def _window(batches, revision) -> WindowView:
    return WindowView(
        id="mw-rolling1",
        title="Kernel",
        impact=Impact.OUTAGE,
        state=WindowState.IN_PROGRESS,
        start=T0,
        end=T0 + 6 * SLOT,
        revision=revision,
        hosts=HOSTS,
        components=[],
        batches=batches,
    )


def _tenant(*hosts: str) -> TenantImpact:
    return TenantImpact(
        tenant_id="t1",
        name="T1",
        timezone="Europe/Stockholm",
        locale="sv",
        contacts=[Contact(email="ops@t1.example")],
        resources=[AffectedResource(id=f"vm-{h}", name=h, kind="server", host=h) for h in hosts],
        impact=Impact.OUTAGE,
    )


def test_batches_get_consecutive_slots() -> None:
    batches = _planned()
    assert [b.hosts for b in batches][:2] == [["sto1-cmp-01", "sto1-cmp-02"], ["sto1-cmp-03", "sto1-cmp-04"]]
    assert [(b.start - T0, b.end - T0) for b in batches] == [(i * SLOT, (i + 1) * SLOT) for i in range(6)]


def test_work_on_time_moves_nothing() -> None:
    batches = _planned()
    for n in range(1, 4):
        batches = _step(batches, n, "done", T0 + n * SLOT - timedelta(minutes=5), revision=n + 1)
    assert all(b.announced == 1 for b in batches)
    assert [b.start for b in batches] == [b.start for b in _planned()]


def test_late_batch_moves_later_slots_past_the_slack_only() -> None:
    batches = _planned()
    batches = _step(batches, 1, "done", T0 + SLOT, revision=2)
    batches = _step(batches, 2, "done", T0 + 2 * SLOT + timedelta(minutes=10), revision=3)
    # Ten minutes late: under the slack, so nobody is told, but the forecast moves.
    assert all(b.announced == 1 for b in batches)
    assert batches[2].expected_start == T0 + 2 * SLOT + timedelta(minutes=10)
    # Batch 3 ends 30 minutes past its slot: batches 4-6 move by 30 minutes and are told.
    batches = _step(batches, 3, "done", T0 + 3 * SLOT + timedelta(minutes=30), revision=4)
    assert [b.announced for b in batches] == [1, 1, 1, 4, 4, 4]
    assert [b.start - _planned()[i].start for i, b in enumerate(batches)][3:] == [timedelta(minutes=30)] * 3


def test_small_drifts_add_up_to_one_announcement() -> None:
    batches = _planned()
    batches = _step(batches, 1, "done", T0 + SLOT + timedelta(minutes=10), revision=2)
    assert batches[1].announced == 1
    batches = _step(batches, 2, "done", T0 + 2 * SLOT + timedelta(minutes=20), revision=3)
    assert batches[2].announced == 3 and batches[2].start == T0 + 2 * SLOT + timedelta(minutes=20)


def test_early_work_never_pulls_a_slot_earlier() -> None:
    batches = _planned()
    batches = _step(batches, 1, "done", T0 + timedelta(minutes=5), revision=2)
    assert batches[1].start == T0 + SLOT and batches[1].expected_start == T0 + SLOT


def test_a_tenant_is_cleared_by_the_revision_that_saw_its_last_host_done() -> None:
    tenant = _tenant("sto1-cmp-01", "sto1-cmp-09")  # batches 1 and 5
    batches = _step(_planned(), 1, "done", T0 + SLOT, revision=2)
    assert not rolling.cleared_now(_window(batches, 2), tenant)
    assert rolling.tenant_slot(_window(batches, 2), tenant) == (T0, T0 + 5 * SLOT)
    batches = _step(batches, 5, "done", T0 + 2 * SLOT, revision=3)
    assert rolling.cleared_now(_window(batches, 3), tenant)
    assert rolling.tenant_ran(_window(batches, 3), tenant) == (T0, T0 + 2 * SLOT)
    batches = _step(batches, 6, "done", T0 + 3 * SLOT, revision=4)
    assert not rolling.cleared_now(_window(batches, 4), tenant)  # told once, by revision 3


def test_progress_counts_hosts() -> None:
    batches = _step(_planned(), 2, "done", T0, revision=2)
    assert rolling.progress(_window(batches, 2)) == (2, 12)
    assert rolling.progress(_window([], 2)) == (0, 0)


def test_a_rolling_window_s_webhooks_tell_each_tenant_its_own_progress() -> None:
    import json

    from forewarn.schemas.impact import ImpactCause, ImpactResolved
    from forewarn.services.webhooks.events import cloud_event, tenant_events

    early, late = _tenant("sto1-cmp-01", "sto1-cmp-02"), _tenant("sto1-cmp-11")
    late = late.model_copy(update={"tenant_id": "t2"})
    batches = _step(_planned(), 1, "done", T0 + SLOT + timedelta(minutes=30), revision=2)
    impact = ImpactResolved(
        window=_window(batches, 2),
        cause=ImpactCause.PROGRESSED,
        components=[],
        tenant_count=2,
        resource_count=3,
        tenants=[early, late],
    )
    assert [(event, t.tenant_id) for event, t in tenant_events(impact)] == [
        ("cleared", "t1"),
        ("slot-moved", "t2"),
    ]
    body = json.loads(cloud_event(impact, late, "slot-moved", provider="cloud.example.net", id="msg_1"))
    assert body["type"] == "net.example.cloud.maintenance.slot-moved"
    assert body["data"]["tenant"]["slots"] == [
        {"batch": 6, "start": "2026-12-02T01:50:00Z", "end": "2026-12-02T02:30:00Z", "done": False}
    ]
