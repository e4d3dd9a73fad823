"""Rolling windows in the store: booked in batches, moved by progress, completed by the last host."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from forewarn.schemas.base import Impact
from forewarn.schemas.commands import BookWindow, HostSelector, ReportProgress, RescheduleWindow, Rolling
from forewarn.schemas.windows import WindowCompleted, WindowProgressed
from forewarn.services.inventory.load import load_inventory
from forewarn.services.platform.db import transaction
from forewarn.services.scheduler import lifecycle
from forewarn.services.scheduler.freezes import FreezeCalendar
from forewarn.services.scheduler.rules import Rules

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
START = NOW + timedelta(hours=1)
SLOT = timedelta(minutes=40)
RULES = Rules(min_lead=timedelta(0), max_duration=timedelta(days=14), freezes=FreezeCalendar([]))


@pytest.fixture
def loaded(engine, example_inventory):
    load_inventory(engine=engine, path=example_inventory)
    return engine


def _apply(engine, fn, cmd, now=NOW):
    with transaction(engine) as session:
        return fn(session, cmd, rules=RULES, now=now)


def _reasons(engine, fn, cmd) -> list[str]:
    with pytest.raises(lifecycle.Rejected) as caught:
        _apply(engine, fn, cmd)
    return [f"{r.field}: {r.message}" for r in caught.value.reasons]


def _book(n: int = 1, end: datetime | None = None, **rolling) -> BookWindow:
    return BookWindow(
        command_id=f"cmd-roll-{n:04d}",
        title="Kernel update",
        impact=Impact.OUTAGE,
        start=START,
        end=end,
        hosts=HostSelector(nodeset="sto1-cmp-[01-12]"),
        rolling=Rolling(per_batch=SLOT, **(rolling or {"batch_size": 2})),
    )


def _progress(wid: str, n: int, **fields) -> ReportProgress:
    return ReportProgress(command_id=f"cmd-progress-{n:04d}", window_id=wid, **fields)


def test_a_rolling_booking_without_an_end_ends_with_its_last_slot(loaded) -> None:
    [out] = _apply(loaded, lifecycle.book, _book())
    window = out.model_dump(mode="json")["window"]
    assert window["end"] == (START + 6 * SLOT).isoformat().replace("+00:00", "Z")
    assert window["batches"][0]["hosts"] == ["sto1-cmp-01", "sto1-cmp-02"]
    assert len(window["batches"]) == 6


def test_batches_must_fit_and_cover_the_hosts(loaded) -> None:
    short = _reasons(loaded, lifecycle.book, _book(end=START + timedelta(hours=2)))
    assert short == [
        "rolling.per_batch: 6 batches of 40m need 4h, the window lasts 2h: "
        "end it at 2026-11-28 17:00Z or later"
    ]
    wrong = _reasons(
        loaded, lifecycle.book, _book(2, batches=["sto1-cmp-[01-06]", "sto1-cmp-[06-10]", "sto1-cmp-99"])
    )
    assert wrong == [
        "rolling.batches: batch 2: sto1-cmp-06 already in an earlier batch",
        "rolling.batches: batch 3: sto1-cmp-99 not among the window's hosts",
    ]
    missing = _reasons(loaded, lifecycle.book, _book(3, batches=["sto1-cmp-[01-10]"]))
    assert missing == ["rolling.batches: sto1-cmp-[11-12] in no batch"]
    empty = _reasons(loaded, lifecycle.book, _book(4, batches=["sto1-cmp-[01-12]", ""]))
    assert empty == ["rolling.batches: batch 2 names no host"]


def test_progress_moves_late_slots_and_the_last_host_completes(loaded) -> None:
    [out] = _apply(
        loaded, lifecycle.book, _book(batches=["sto1-cmp-[01-04]", "sto1-cmp-[05-08]", "sto1-cmp-[09-12]"])
    )
    wid = out.model_dump(mode="json")["window"]["id"]
    assert _reasons(loaded, lifecycle.progress, _progress(wid, 1, step="done", batch=1)) == [
        f"window_id: cannot report progress on window {wid}: it is scheduled, not in_progress"
    ]
    _apply(loaded, lambda s, c, rules, now: lifecycle.start_due(s, wid, now=now), None, now=START)
    assert _reasons(loaded, lifecycle.progress, _progress(wid, 2, step="done", hosts="sto1-cmp-[12-13]")) == [
        "hosts: sto1-cmp-13 not in this window"
    ]
    # Batch 1 done 30 minutes late: batches 2 and 3 move, and the window's end with them.
    [out] = _apply(
        loaded,
        lifecycle.progress,
        _progress(wid, 3, step="done", batch=1),
        now=START + SLOT + timedelta(minutes=30),
    )
    assert isinstance(out, WindowProgressed)
    window = out.model_dump(mode="json")["window"]
    assert [b["announced"] for b in window["batches"]] == [1, 3, 3]
    assert window["end"] == (START + 3 * SLOT + timedelta(minutes=30)).isoformat().replace("+00:00", "Z")
    _apply(loaded, lifecycle.progress, _progress(wid, 4, step="done", batch=2), now=START + 2 * SLOT)
    *_, done = _apply(
        loaded,
        lifecycle.progress,
        _progress(wid, 5, step="done", hosts="sto1-cmp-[09-12]"),
        now=START + 3 * SLOT,
    )
    assert isinstance(done, WindowCompleted) and done.early is True


def test_rescheduling_moves_every_slot(loaded) -> None:
    [out] = _apply(loaded, lifecycle.book, _book())
    wid = out.model_dump(mode="json")["window"]["id"]
    later = START + timedelta(days=1)
    [out] = _apply(
        loaded,
        lifecycle.reschedule,
        RescheduleWindow(command_id="cmd-resched-roll", window_id=wid, start=later, end=later + 6 * SLOT),
    )
    batches = out.model_dump(mode="json")["window"]["batches"]
    assert batches[0]["start"].startswith((later).strftime("%Y-%m-%dT%H:%M"))
    assert {b["announced"] for b in batches} == {2}
    short = RescheduleWindow(command_id="cmd-resched-short", window_id=wid, start=later, end=later + SLOT)
    assert _reasons(loaded, lifecycle.reschedule, short)[0].startswith("rolling.per_batch: 6 batches of 40m")
