"""The status page's projection of the stream, without a broker."""

from __future__ import annotations

from datetime import timedelta

from forewarn.schemas import subjects
from forewarn.schemas.base import Impact, WindowState
from forewarn.schemas.impact import AffectedResource, ImpactCause, ImpactResolved, TenantImpact
from forewarn.schemas.windows import (
    Component,
    WindowCancelled,
    WindowCompleted,
    WindowScheduled,
    WindowStarted,
)
from forewarn.services.statuspage.api import Page, StatusApi
from forewarn.services.statuspage.model import ComponentKey
from forewarn.services.statuspage.state import StatusView

from ..factories import START, make_window

GPU = Component(site="STO2", role="gpu")


class Stream:
    """Messages as the stream holds them: subject, body, sequence."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes, int]] = []

    def add(self, subject: str, payload) -> None:
        body = payload if isinstance(payload, bytes) else payload.model_dump_json().encode()
        self.messages.append((subject, body, len(self.messages) + 1))

    def replay(self, view: StatusView) -> StatusView:
        for message in self.messages:
            view.apply(*message)
        return view


def lifecycle(stream: Stream, window_id: str, impact: Impact, *, until: WindowState) -> None:
    at = START - timedelta(days=1)
    w = make_window(id=window_id, impact=impact, components=[GPU])
    stream.add(subjects.SCHEDULED, WindowScheduled(window=w, occurred_at=at))
    if until is WindowState.SCHEDULED:
        return
    if until is WindowState.CANCELLED:
        gone = w.model_copy(update={"state": until, "revision": 2})
        stream.add(subjects.CANCELLED, WindowCancelled(window=gone, reason="internal", occurred_at=at))
        return
    running = w.model_copy(update={"state": WindowState.IN_PROGRESS, "revision": 2, "started_at": START})
    stream.add(subjects.STARTED, WindowStarted(window=running, occurred_at=START))
    if until is WindowState.COMPLETED:
        end = START + timedelta(hours=2)
        done = running.model_copy(update={"state": until, "revision": 3, "ended_at": end})
        stream.add(subjects.COMPLETED, WindowCompleted(window=done, early=True, occurred_at=end))


def test_overlapping_windows_show_the_worst_status_and_recover() -> None:
    stream = Stream()
    lifecycle(stream, "mw-outage", Impact.OUTAGE, until=WindowState.IN_PROGRESS)
    lifecycle(stream, "mw-slow", Impact.DEGRADED, until=WindowState.IN_PROGRESS)
    view = stream.replay(StatusView([("STO2", "gpu"), ("STO1", "compute")]))
    key = ComponentKey("STO2", "gpu")
    assert key.name == "STO2 GPU" and ComponentKey("STO1", "compute").name == "STO1 Compute"
    assert view.components[key].status == "under_maintenance"

    done = make_window(id="mw-outage", components=[GPU], state=WindowState.COMPLETED, revision=3)
    view.apply(subjects.COMPLETED, WindowCompleted(window=done).model_dump_json().encode(), 99)
    assert view.components[key].status == "degraded_performance", "the degraded window still runs"
    [last] = view.windows["mw-outage"].updates[-1:]
    assert (last.status, last.changes[0].old, last.changes[0].new) == (
        "completed", "under_maintenance", "degraded_performance",
    )  # fmt: skip


def test_a_cancelled_window_is_over_and_says_so() -> None:
    stream = Stream()
    lifecycle(stream, "mw-gone", Impact.OUTAGE, until=WindowState.CANCELLED)
    view = stream.replay(StatusView())
    window = view.windows["mw-gone"]
    assert window.status == "completed" and window.state is WindowState.CANCELLED
    assert not view.upcoming() and "cancelled" in window.updates[-1].body
    # It never ran: the page's "Recently completed" does not list it.
    assert view.recent(window.finished_at, 7, WindowState.COMPLETED) == []
    assert view.recent(window.finished_at, 7, WindowState.CANCELLED) == [window]
    doc = StatusApi(view, Page("Status", "https://status.example.net")).maintenance(window)
    assert doc["resolved_at"] and doc["incident_updates"][0]["status"] == "completed"


def test_bad_messages_are_skipped_and_the_next_one_applies() -> None:
    stream = Stream()
    stream.add(subjects.SCHEDULED, b"{not json")
    stream.add(subjects.SCHEDULED, b'{"schema_version": 2, "window": {}}')
    stream.add(subjects.IMPACT_RESOLVED, b'{"window": 1}')
    stream.add(subjects.BOOK, b'{"title": "commands are not the page\'s business"}')
    lifecycle(stream, "mw-after", Impact.OUTAGE, until=WindowState.SCHEDULED)
    view = stream.replay(StatusView())
    assert list(view.windows) == ["mw-after"] and view.skipped == 3 and view.last_seq == 5
    # A message seen again (same sequence) changes nothing.
    assert view.apply(*stream.messages[-1]) is None and len(view.windows["mw-after"].updates) == 1


def _impact(revision: int, tenants: list[str], part: int = 1, parts: int = 1) -> ImpactResolved:
    window = make_window(revision=revision)
    return ImpactResolved(
        window=window,
        cause=ImpactCause.SCHEDULED,
        components=[],
        tenant_count=len(tenants),
        resource_count=len(tenants),
        tenants=[
            TenantImpact(
                tenant_id=t, name=t.title(), timezone="UTC", locale="en", contacts=[], impact=Impact.OUTAGE,
                resources=[AffectedResource(id=f"vm-{t}", name=f"{t}-vm", kind="vm", host="sto1-cmp-01")],
            )
            for t in tenants
        ],
        part=part,
        parts=parts,
    )  # fmt: skip


def test_each_tenant_keeps_its_part_of_the_newest_resolution() -> None:
    stream = Stream()
    stream.add(subjects.IMPACT_RESOLVED, _impact(1, ["a", "b"], part=1, parts=2))
    stream.add(subjects.IMPACT_RESOLVED, _impact(1, ["c"], part=2, parts=2))
    view = stream.replay(StatusView())
    assert {t for t, entry in view.tenants.items() if entry.windows} == {"a", "b", "c"}
    view.apply(subjects.IMPACT_RESOLVED, _impact(2, ["a"]).model_dump_json().encode(), 10)
    view.apply(subjects.IMPACT_RESOLVED, _impact(1, ["b"]).model_dump_json().encode(), 11)  # late and stale
    assert {t for t, entry in view.tenants.items() if entry.windows} == {"a"}
    assert view.tenants["a"].windows["mw-abc12345"].contacts == []


def test_replaying_the_same_stream_gives_the_same_documents() -> None:
    stream = Stream()
    lifecycle(stream, "mw-1", Impact.OUTAGE, until=WindowState.COMPLETED)
    lifecycle(stream, "mw-2", Impact.DEGRADED, until=WindowState.IN_PROGRESS)
    lifecycle(stream, "mw-3", Impact.NO_IMPACT, until=WindowState.CANCELLED)
    page = Page("Status", "https://status.example.net")
    first = StatusApi(stream.replay(StatusView([("STO1", "compute")])), page)
    again = StatusApi(stream.replay(StatusView([("STO1", "compute")])), page)
    for name in ("summary.json", "scheduled-maintenances.json", "components.json"):
        assert first.document(name) == again.document(name)
    assert first.document("nope.json") is None


def test_a_restored_snapshot_is_the_same_view_and_goes_on_the_same_way() -> None:
    stream = Stream()
    lifecycle(stream, "mw-1", Impact.OUTAGE, until=WindowState.COMPLETED)
    lifecycle(stream, "mw-2", Impact.DEGRADED, until=WindowState.IN_PROGRESS)
    stream.add(subjects.IMPACT_RESOLVED, _impact(1, ["a", "b"]))
    lifecycle(stream, "mw-3", Impact.NO_IMPACT, until=WindowState.CANCELLED)
    head, tail = stream.messages[:5], stream.messages[5:]
    whole = stream.replay(StatusView([("STO1", "compute")]))
    before = StatusView([("STO1", "compute")])
    for message in head:
        before.apply(*message)
    resumed = StatusView([("STO1", "compute")])
    resumed.restore(before.dump())
    assert resumed.last_seq == 5 and resumed.tenants == before.tenants
    for message in tail:
        resumed.apply(*message)
    page = Page("Status", "https://status.example.net")
    for name in ("summary.json", "scheduled-maintenances.json", "components.json"):
        assert StatusApi(resumed, page).document(name) == StatusApi(whole, page).document(name)
    assert resumed.windows == whole.windows and resumed.views == whole.views


def test_ended_windows_leave_the_view_after_the_recent_days_but_the_latest_fifty_stay() -> None:
    stream = Stream()
    for day in range(80):  # one window a day, each ended the day it was booked
        at = START + timedelta(days=day)
        w = make_window(id=f"mw-d{day}", components=[GPU], start=at, end=at + timedelta(hours=1))
        stream.add(subjects.SCHEDULED, WindowScheduled(window=w, occurred_at=at))
        stream.add(subjects.IMPACT_RESOLVED, ImpactResolved.model_validate(
            _impact(1, [f"t{day}"]).model_dump() | {"window": w.model_dump()}
        ))  # fmt: skip
        gone = w.model_copy(update={"state": WindowState.CANCELLED, "revision": 2})
        stream.add(subjects.CANCELLED, WindowCancelled(window=gone, reason="internal", occurred_at=at))
    view = stream.replay(StatusView(keep_days=7))
    assert sorted(view.windows) == sorted(f"mw-d{day}" for day in range(30, 80))
    assert set(view.views) == set(view.windows) == set(view.impact_revision)
    assert set(view.tenants) == {f"t{day}" for day in range(30, 80)}
    # Late news of a forgotten window does not bring it back.
    view.apply(subjects.IMPACT_RESOLVED, ImpactResolved.model_validate(
        _impact(2, ["late"]).model_dump() | {"window": gone.model_copy(update={"id": "mw-d0"}).model_dump()}
    ).model_dump_json().encode(), 10_000)  # fmt: skip
    assert "mw-d0" not in view.windows and "late" not in view.tenants
    busy = Stream()  # the last week alone holds more than fifty: all of it stays
    for n in range(70):
        lifecycle(busy, f"mw-b{n}", Impact.OUTAGE, until=WindowState.CANCELLED)
    assert len(busy.replay(StatusView(keep_days=7)).windows) == 70
