"""The window state machine against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from forewarn.schemas import subjects
from forewarn.schemas.base import Impact, WindowState
from forewarn.schemas.commands import (
    BookWindow,
    CancelWindow,
    CompleteWindow,
    ExtendWindow,
    HostSelector,
    RescheduleWindow,
)
from forewarn.schemas.windows import WindowCompleted, WindowRescheduled, WindowStarted
from forewarn.services.inventory.load import load_inventory
from forewarn.services.platform.db import transaction
from forewarn.services.scheduler import lifecycle, timeline
from forewarn.services.scheduler.freezes import FreezeCalendar
from forewarn.services.scheduler.rules import Rules

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
CALENDARS = Path(__file__).resolve().parents[2] / "calendars"


@pytest.fixture
def rules() -> Rules:
    return Rules(
        min_lead=timedelta(0), max_duration=timedelta(days=14), freezes=FreezeCalendar.from_dir(CALENDARS)
    )


@pytest.fixture
def loaded(engine, example_inventory):
    load_inventory(engine=engine, path=example_inventory)
    return engine


def _book(n: int = 1, **changes) -> BookWindow:
    fields = dict(
        command_id=f"cmd-book-{n:04d}",
        title="Ubuntu migration",
        impact=Impact.OUTAGE,
        start=NOW + timedelta(hours=1),
        end=NOW + timedelta(hours=3),
        hosts=HostSelector(nodeset="sto1-cmp-[01-04]"),
    )
    return BookWindow(**(fields | changes))


def _apply(engine, fn, cmd, **kw):
    with transaction(engine) as session:
        return fn(session, cmd, now=kw.pop("now", NOW), **kw)


def _recorded(engine, fn, cmd, **kw) -> list[timeline.Entry]:
    """A transition and its timeline in one transaction, as the scheduler applies a command."""
    with transaction(engine) as session:
        events = fn(session, cmd, now=kw.pop("now", NOW), **kw)
        return timeline.record(session, cmd.command_id, events)


def _reasons(engine, fn, cmd, **kw) -> list[str]:
    with pytest.raises(lifecycle.Rejected) as caught:
        _apply(engine, fn, cmd, **kw)
    return [f"{r.field}: {r.message}" for r in caught.value.reasons]


def test_book_then_full_lifecycle(loaded, rules) -> None:
    [entry] = _recorded(loaded, lifecycle.book, _book(), rules=rules)
    event = json.loads(entry.out.payload)
    wid = event["window"]["id"]
    assert entry.window_id == wid
    assert entry.out.subject == subjects.SCHEDULED and entry.out.msg_id == f"{wid}.r1.scheduled"
    assert event["window"]["hosts"] == [f"sto1-cmp-0{i}" for i in range(1, 5)]
    assert event["window"]["components"] == [
        {"schema_version": 1, "site": "STO1", "role": "compute", "site_name": "Stockholm 1, Kista"}
    ]

    [moved] = _apply(
        loaded,
        lifecycle.reschedule,
        RescheduleWindow(
            command_id="cmd-resched-1",
            window_id=wid,
            start=NOW + timedelta(hours=2),
            end=NOW + timedelta(hours=4),
        ),
        rules=rules,
    )
    assert isinstance(moved, WindowRescheduled) and moved.window.revision == 2

    [extended] = _apply(
        loaded,
        lifecycle.extend,
        ExtendWindow(command_id="cmd-extend-1", window_id=wid, by=timedelta(minutes=30)),
        rules=rules,
    )
    assert extended.window.end == datetime(2026, 11, 28, 16, 30, tzinfo=UTC)

    with transaction(loaded) as s:
        assert lifecycle.start_due(s, wid, now=NOW + timedelta(hours=1)) == []  # not yet due: stale timer
    with transaction(loaded) as s:
        [started] = lifecycle.start_due(s, wid, now=NOW + timedelta(hours=2))
    assert isinstance(started, WindowStarted) and started.late is False
    assert started.window.started_at == datetime(2026, 11, 28, 14, 0, tzinfo=UTC)
    with transaction(loaded) as s:
        [done] = lifecycle.end_due(s, wid, now=NOW + timedelta(hours=4, minutes=30))
    assert (
        isinstance(done, WindowCompleted)
        and done.window.state == WindowState.COMPLETED
        and done.window.revision == 5
    )
    # The plan and what happened, side by side: the report's overrun comes from these.
    assert done.window.started_at == datetime(2026, 11, 28, 14, 0, tzinfo=UTC)
    assert done.window.ended_at == datetime(2026, 11, 28, 16, 30, tzinfo=UTC)


def test_redelivered_command_returns_recorded_events(loaded, rules) -> None:
    first = _recorded(loaded, lifecycle.book, _book(), rules=rules)
    with transaction(loaded) as s:
        again = timeline.recorded(s, "cmd-book-0001")
    assert again == first


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"hosts": HostSelector(nodeset="sto1-cmp-[15-19]")},
            "hosts.nodeset: 3 host(s) not in the inventory: sto1-cmp-[17-19]",
        ),
        ({"hosts": HostSelector(sites=["STO9"])}, "hosts.sites: unknown site(s) STO9"),
        ({"hosts": HostSelector(roles=["storage"])}, "hosts.roles: unknown role(s) storage"),
        ({"hosts": HostSelector(tags=["rack-z"])}, "hosts.tags: no host carries tag(s) rack-z"),
        (
            {"hosts": HostSelector(zones=["az9"])},
            "hosts.zones: unknown availability zone(s) az9; known: none",
        ),
        ({"hosts": HostSelector(nodeset="sto1-cmp-[01-")}, "hosts.nodeset: cannot parse"),
        ({"end": NOW + timedelta(minutes=30)}, "end: must be after the start"),
        ({"start": NOW - timedelta(hours=1)}, "start: 2026-11-28 11:00Z is in the past"),
        ({"end": NOW + timedelta(days=30)}, "end: the window lasts 29d23h, longer than 14d"),
        (
            {"start": datetime(2026, 12, 24, 10, tzinfo=UTC), "end": datetime(2026, 12, 24, 12, tzinfo=UTC)},
            "start: the window falls in the change freeze 'Christmas and New Year change freeze'",
        ),
    ],
)
def test_booking_rules(loaded, rules, changes, expected) -> None:
    reasons = _reasons(loaded, lifecycle.book, _book(**changes), rules=rules)
    assert any(r.startswith(expected) for r in reasons), reasons


def test_host_names_match_in_any_case_and_a_slip_of_the_keys_gets_a_suggestion(loaded, rules) -> None:
    [booked] = _apply(
        loaded, lifecycle.book, _book(hosts=HostSelector(nodeset="STO1-CMP-[01-02]")), rules=rules
    )
    assert booked.window.hosts == ["sto1-cmp-01", "sto1-cmp-02"]
    [typo] = _reasons(
        loaded, lifecycle.book, _book(2, hosts=HostSelector(nodeset="sto1-cpm-05")), rules=rules
    )
    assert typo == "hosts.nodeset: 1 host(s) not in the inventory: sto1-cpm-05; did you mean sto1-cmp-05?"
    # Another number is no slip: nothing to suggest for hosts that do not exist.
    [beyond] = _reasons(
        loaded, lifecycle.book, _book(3, hosts=HostSelector(nodeset="sto1-cmp-[17-18]")), rules=rules
    )
    assert beyond == "hosts.nodeset: 2 host(s) not in the inventory: sto1-cmp-[17-18]"


def test_minimum_lead(loaded) -> None:
    strict = Rules(min_lead=timedelta(hours=48), max_duration=timedelta(days=14), freezes=FreezeCalendar([]))
    reasons = _reasons(loaded, lifecycle.book, _book(), rules=strict)
    assert reasons[0].startswith("start: must be at least 2d ahead")


def test_a_window_shorter_than_the_minimum_is_refused_unless_short_on_purpose(loaded) -> None:
    from forewarn.services.scheduler.settings import SchedulerSettings

    guarded = Rules(
        min_lead=timedelta(0),
        max_duration=timedelta(days=14),
        min_duration=SchedulerSettings.model_fields["min_duration"].default,
        freezes=FreezeCalendar([]),
    )
    typo = {"end": NOW + timedelta(hours=1, seconds=90)}  # `--duration 90`, meant as minutes
    [reason] = _reasons(loaded, lifecycle.book, _book(**typo), rules=guarded)
    assert reason == (
        "end: the window lasts 1m30s, shorter than 15m (FOREWARN_MIN_DURATION); "
        "pass --short if it is meant to be"
    )
    [booked] = _apply(loaded, lifecycle.book, _book(**typo, short=True), rules=guarded)
    wid = booked.window.id
    # A move keeps the window's length when no end is given, and is held to the same rule.
    later = NOW + timedelta(hours=5)
    [reason] = _reasons(
        loaded,
        lifecycle.reschedule,
        RescheduleWindow(command_id="cmd-short-1", window_id=wid, start=later),
        rules=guarded,
    )
    assert reason.startswith("end: the window lasts 1m30s, shorter than 15m")
    [moved] = _apply(
        loaded,
        lifecycle.reschedule,
        RescheduleWindow(command_id="cmd-short-2", window_id=wid, start=later, short=True),
        rules=guarded,
    )
    assert (moved.window.start, moved.window.end) == (later, later + timedelta(seconds=90))


def test_overlap_is_refused_unless_allowed(loaded, rules) -> None:
    _apply(loaded, lifecycle.book, _book(1), rules=rules)
    clash = _book(2, hosts=HostSelector(nodeset="sto1-cmp-[03-06]"))
    [reason] = _reasons(loaded, lifecycle.book, clash, rules=rules)
    assert reason.startswith("hosts: overlaps live window mw-") and "on sto1-cmp-[03-04]" in reason
    assert _apply(loaded, lifecycle.book, _book(3, hosts=clash.hosts, allow_overlap=True), rules=rules)
    # Other hosts, or other times, do not clash.
    assert _apply(
        loaded, lifecycle.book, _book(4, hosts=HostSelector(nodeset="sto1-cmp-[09-10]")), rules=rules
    )
    later = {"start": NOW + timedelta(hours=3), "end": NOW + timedelta(hours=4)}
    assert _apply(loaded, lifecycle.book, _book(5, **later), rules=rules)


def test_illegal_transitions_are_refused_with_a_reason(loaded, rules) -> None:
    [booked] = _apply(loaded, lifecycle.book, _book(), rules=rules)
    wid = booked.window.id
    [reason] = _reasons(
        loaded, lifecycle.complete, CompleteWindow(command_id="cmd-complete-1", window_id=wid), rules=rules
    )
    assert reason == f"window_id: cannot complete window {wid}: it is scheduled, not in_progress"
    _apply(
        loaded,
        lifecycle.cancel,
        CancelWindow(command_id="cmd-cancel-1", window_id=wid, reason="vendor delay"),
        rules=rules,
    )
    [reason] = _reasons(
        loaded,
        lifecycle.reschedule,
        RescheduleWindow(
            command_id="cmd-resched-2",
            window_id=wid,
            start=NOW + timedelta(hours=5),
            end=NOW + timedelta(hours=6),
        ),
        rules=rules,
    )
    assert "it is cancelled, not scheduled" in reason
    [reason] = _reasons(
        loaded,
        lifecycle.cancel,
        CancelWindow(command_id="cmd-cancel-2", window_id="mw-nothere", reason="x"),
        rules=rules,
    )
    assert reason == "window_id: no window mw-nothere"


def test_missed_start_and_end_start_late_then_complete(loaded, rules) -> None:
    [booked] = _apply(loaded, lifecycle.book, _book(), rules=rules)
    wid = booked.window.id
    with transaction(loaded) as s:
        started, completed = lifecycle.end_due(s, wid, now=NOW + timedelta(hours=5))
        timeline.record(s, timeline.timer_cause(wid, "end"), [started, completed])
    assert started.late is True and started.late_by == timedelta(hours=4)
    assert completed.window.state == WindowState.COMPLETED
    with transaction(loaded) as s:
        assert [e.out.subject for e in timeline.recorded(s, timeline.timer_cause(wid, "end"))] == [
            subjects.STARTED,
            subjects.COMPLETED,
        ]
