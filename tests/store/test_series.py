"""Recurring windows: booked as occurrences, invited as one recurring VEVENT that every reader expands alike.

Each invitation is read by recurring-ical-events (Python), ical.js (Node, as
Thunderbird does) and circuit-maintenance-parser (MAINT-NOTE), across the DST
changes in Stockholm and Oslo and the nights they skip or repeat an hour.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from forewarn.schemas.base import Impact, WindowState
from forewarn.schemas.commands import (
    BookWindow,
    CancelWindow,
    ChangeSeries,
    HostSelector,
    Recurrence,
    RescheduleWindow,
)
from forewarn.schemas.impact import AffectedResource, Contact, TenantImpact
from forewarn.schemas.windows import WindowView
from forewarn.services.ical.invitation import Organizer, build_calendar
from forewarn.services.ical.text import serialize
from forewarn.services.inventory.load import load_inventory
from forewarn.services.platform.db import transaction
from forewarn.services.scheduler import lifecycle
from forewarn.services.scheduler.freezes import FreezeCalendar
from forewarn.services.scheduler.queries import window_view
from forewarn.services.scheduler.rules import Rules

from ..calendars import icaljs, maintnote, python_occurrences, utc

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
CALENDARS = Path(__file__).resolve().parents[2] / "calendars"
RULES = Rules(
    min_lead=timedelta(0), max_duration=timedelta(days=14), freezes=FreezeCalendar.from_dir(CALENDARS)
)
ORGANIZER = Organizer("cloud.example.net", "ops@cloud.example.net")
TENANT = TenantImpact(
    tenant_id="acme-ab",
    name="Acme AB",
    timezone="Europe/Stockholm",
    locale="sv",
    contacts=[Contact(email="ops@acme.example")],
    resources=[AffectedResource(id="vm-1", name="web-1", kind="server", host="sto1-cmp-01")],
    impact=Impact.OUTAGE,
)


@pytest.fixture
def loaded(engine, example_inventory):
    load_inventory(engine=engine, path=example_inventory)
    return engine


def _book(
    engine, rrule: str, start: datetime, *, zone: str = "Europe/Stockholm", n: int = 1, hours: float = 4
):
    cmd = BookWindow(
        command_id=f"cmd-series-{n:04d}",
        title="Monthly patching",
        impact=Impact.OUTAGE,
        start=start,
        end=start + timedelta(hours=hours),
        hosts=HostSelector(nodeset="sto1-cmp-01"),
        allow_overlap=True,
        recurrence=Recurrence(rrule=rrule, timezone=zone),
    )
    with transaction(engine) as session:
        return [
            o.model_dump(mode="json")["window"] for o in lifecycle.book(session, cmd, rules=RULES, now=NOW)
        ]


def _view(engine, window_id: str) -> WindowView:
    with transaction(engine) as session:
        return window_view(session, window_id)


def _write(tmp_path: Path, name: str, window: WindowView, *, master: bool, withdrawn: bool = False) -> Path:
    calendar = build_calendar(
        window,
        TENANT,
        ORGANIZER,
        location="STO1",
        mode="invite",
        stamp=NOW,
        master=master,
        withdrawn=withdrawn,
    )
    path = tmp_path / f"{name}.ics"
    path.write_bytes(serialize(calendar))
    return path


def test_a_monthly_series_is_booked_as_occurrences_and_invited_as_one_rule(loaded, tmp_path) -> None:
    booked = _book(loaded, "FREQ=MONTHLY;BYDAY=2TU;COUNT=12", datetime(2026, 12, 1, 21, 0, tzinfo=UTC))
    starts = [w["start"] for w in booked]
    # 22:00 in Stockholm all year: 21:00 UTC in winter, 20:00 UTC in summer.
    assert starts[:2] == ["2026-12-08T21:00:00Z", "2027-01-12T21:00:00Z"]
    assert starts[4] == "2027-04-13T20:00:00Z" and len(starts) == 12
    lead = _view(loaded, booked[0]["id"])
    assert lead.series.lead and not _view(loaded, booked[1]["id"]).series.lead
    path = _write(tmp_path, "master", lead, master=True)
    event = Calendar.from_ical(path.read_bytes()).walk("VEVENT")[0]
    assert event["RRULE"].to_ical() == b"FREQ=MONTHLY;COUNT=12;BYDAY=2TU"
    assert (
        event["DTSTART"].params["TZID"] == "Europe/Stockholm"
        and event["UID"] == f"{lead.series.id}.acme-ab@cloud.example.net"
    )
    expected = [(w["start"], w["end"]) for w in booked]
    assert python_occurrences(path.read_bytes()) == expected
    [js] = icaljs([path])
    assert [(o["start"], o["end"]) for o in js["occurrences"]] == expected


def test_frozen_occurrences_are_skipped_and_the_booking_says_so(loaded, tmp_path) -> None:
    booked = _book(loaded, "FREQ=WEEKLY;BYDAY=TU;COUNT=6", datetime(2026, 12, 1, 21, 0, tzinfo=UTC))
    assert [w["start"][:10] for w in booked] == ["2026-12-01", "2026-12-08", "2026-12-15", "2027-01-05"]
    series = booked[0]["series"]
    assert [s["start"][:10] for s in series["skipped"]] == ["2026-12-22", "2026-12-29"]
    assert "Christmas and New Year change freeze" in series["skipped"][0]["reason"]
    path = _write(tmp_path, "frozen", _view(loaded, booked[0]["id"]), master=True)
    assert b"EXDATE;TZID=Europe/Stockholm:20261222T220000" in path.read_bytes()
    expected = [(w["start"], w["end"]) for w in booked]
    assert python_occurrences(path.read_bytes()) == expected
    assert [(o["start"], o["end"]) for o in icaljs([path])[0]["occurrences"]] == expected


@pytest.mark.parametrize("zone", ["Europe/Stockholm", "Europe/Oslo"])
def test_dst_changes_and_the_hour_they_skip_or_repeat_expand_alike(loaded, tmp_path, zone) -> None:
    # Every Sunday at 02:30 local from March to November 2027: 28 March has no 02:30 (clocks
    # go from 02:00 to 03:00), 31 October has two (03:00 goes back to 02:00).
    booked = _book(
        loaded,
        "FREQ=WEEKLY;BYDAY=SU;UNTIL=20271110T000000Z",
        datetime(2027, 3, 21, 1, 30, tzinfo=UTC),
        zone=zone,
        hours=1,
    )
    by_day = {w["start"][:10]: w["start"] for w in booked}
    assert by_day["2027-03-21"] == "2027-03-21T01:30:00Z"  # 02:30 CET
    assert by_day["2027-03-28"] == "2027-03-28T01:30:00Z"  # no 02:30 that night: read as CET, i.e. 03:30 CEST
    assert by_day["2027-04-04"] == "2027-04-04T00:30:00Z"  # 02:30 CEST
    assert by_day["2027-10-31"] == "2027-10-31T00:30:00Z"  # the first 02:30, still CEST
    assert by_day["2027-11-07"] == "2027-11-07T01:30:00Z"  # 02:30 CET
    path = _write(tmp_path, "dst", _view(loaded, booked[0]["id"]), master=True)
    expected = [(w["start"], w["end"]) for w in booked]
    assert python_occurrences(path.read_bytes()) == expected
    assert [(o["start"], o["end"]) for o in icaljs([path])[0]["occurrences"]] == expected


def test_one_cancelled_or_moved_occurrence_is_an_override_every_reader_places(loaded, tmp_path) -> None:
    booked = _book(loaded, "FREQ=MONTHLY;BYDAY=2TU;COUNT=6", datetime(2026, 12, 1, 21, 0, tzinfo=UTC))
    third, fourth = booked[2], booked[3]
    with transaction(loaded) as session:
        lifecycle.cancel(
            session,
            CancelWindow(command_id="cmd-cancel-3rd", window_id=third["id"], reason="Not needed"),
            rules=RULES,
            now=NOW,
        )
        moved = datetime.fromisoformat(fourth["start"]) + timedelta(days=1)
        lifecycle.reschedule(
            session,
            RescheduleWindow(
                command_id="cmd-move-4th", window_id=fourth["id"], start=moved, end=moved + timedelta(hours=4)
            ),
            rules=RULES,
            now=NOW,
        )
    cancelled, rescheduled = _view(loaded, third["id"]), _view(loaded, fourth["id"])
    assert cancelled.state is WindowState.CANCELLED
    master = _write(tmp_path, "master", _view(loaded, booked[0]["id"]), master=True)
    cancel = _write(tmp_path, "cancel", cancelled, master=False)
    move = _write(tmp_path, "move", rescheduled, master=False)
    calendar = Calendar.from_ical(cancel.read_bytes())
    override = calendar.walk("VEVENT")[0]
    assert calendar["METHOD"] == "CANCEL" and override["STATUS"] == "CANCELLED"
    assert override["RECURRENCE-ID"].params["TZID"] == "Europe/Stockholm"
    assert utc(override.decoded("RECURRENCE-ID")) == third["start"]
    # Overrides outrank the master: their SEQUENCE is never below it, and rises with each change.
    assert (
        override["SEQUENCE"] == 2 and Calendar.from_ical(move.read_bytes()).walk("VEVENT")[0]["SEQUENCE"] == 2
    )
    js = icaljs([cancel, move, master])
    assert js[0]["method"] == "CANCEL"
    assert [(o["recurrence_id"], o["status"]) for o in js[0]["overrides"]] == [(third["start"], "CANCELLED")]
    assert [(o["recurrence_id"], o["start"]) for o in js[1]["overrides"]] == [(fourth["start"], utc(moved))]
    assert js[2]["overrides"] == [] and len(js[2]["occurrences"]) == 6
    # The same override, placed in the series the way a calendar keeps it, expands with it moved.
    merged = Calendar.from_ical(master.read_bytes())
    merged.add_component(Calendar.from_ical(move.read_bytes()).walk("VEVENT")[0])
    starts = [start for start, _ in python_occurrences(merged.to_ical())]
    assert utc(moved) in starts and fourth["start"] not in starts and len(starts) == 6
    assert (
        Calendar.from_ical(cancel.read_bytes()).walk("VEVENT")[0]["UID"]
        == Calendar.from_ical(master.read_bytes()).walk("VEVENT")[0]["UID"]
    )


def test_every_maintnote_field_is_on_the_rule_and_each_override(loaded, tmp_path) -> None:
    booked = _book(loaded, "FREQ=MONTHLY;BYDAY=2TU;COUNT=3", datetime(2026, 12, 1, 21, 0, tzinfo=UTC))
    with transaction(loaded) as session:
        lifecycle.cancel(
            session,
            CancelWindow(command_id="cmd-cancel-2nd", window_id=booked[1]["id"], reason="No"),
            rules=RULES,
            now=NOW,
        )
    files = [
        _write(tmp_path, "master", _view(loaded, booked[0]["id"]), master=True),
        _write(tmp_path, "cancel", _view(loaded, booked[1]["id"]), master=False),
        _write(tmp_path, "reminder", _view(loaded, booked[2]["id"]), master=False),
        # The inventory moved the tenant off the third occurrence's hosts: that occurrence alone is cancelled.
        _write(tmp_path, "withdrawn", _view(loaded, booked[2]["id"]), master=False, withdrawn=True),
    ]
    for path in files:
        event = Calendar.from_ical(path.read_bytes()).walk("VEVENT")[0]
        for name in ("PROVIDER", "ACCOUNT", "MAINTENANCE-ID", "OBJECT-ID", "IMPACT", "STATUS"):
            assert f"X-MAINTNOTE-{name}" in event, (path.name, name)
    read = maintnote(files)
    assert [[m["status"] for m in found] for found in read] == [
        ["CONFIRMED"],
        ["CANCELLED"],
        ["CONFIRMED"],
        ["CANCELLED"],
    ]
    withdrawn = Calendar.from_ical(files[3].read_bytes())
    assert withdrawn["METHOD"] == "CANCEL"
    assert withdrawn.walk("VEVENT")[0]["RECURRENCE-ID"].to_ical() == b"20270209T220000"
    for found, path in zip(read, files, strict=True):
        [m] = found
        assert (m["provider"], m["account"]) == ("cloud.example.net", "acme-ab"), path.name
        assert m["circuits"] == [{"circuit_id": "vm-1", "impact": "OUTAGE"}]
        assert m["uid"] == f"{booked[0]['series']['id']}.acme-ab@cloud.example.net"


def test_a_series_called_off_from_a_date_ends_its_rule_there_in_one_update(loaded, tmp_path) -> None:
    booked = _book(loaded, "FREQ=MONTHLY;BYDAY=2TU;COUNT=6", datetime(2026, 12, 1, 21, 0, tzinfo=UTC))
    fourth = datetime.fromisoformat(booked[3]["start"])
    with transaction(loaded) as session:
        out = lifecycle.change_series(
            session,
            ChangeSeries(
                command_id="cmd-series-cut",
                series_id=booked[0]["series"]["id"],
                since=fourth - timedelta(days=1),
                action="cancel",
                reason="The new kernel is out",
            ),
            rules=RULES,
            now=NOW,
        )
    assert [o.model_dump(mode="json")["window"]["id"] for o in out] == [w["id"] for w in booked[3:]]
    first_cut = _view(loaded, booked[3]["id"])
    assert first_cut.state is WindowState.CANCELLED and first_cut.series.cut == fourth
    assert first_cut.series.rrule.endswith(f"UNTIL={fourth - timedelta(seconds=1):%Y%m%dT%H%M%SZ}")
    # The update tenants get: their recurring VEVENT, confirmed, SEQUENCE raised, three occurrences left.
    path = _write(tmp_path, "cut", first_cut, master=True)
    calendar = Calendar.from_ical(path.read_bytes())
    assert calendar["METHOD"] == "REQUEST" and calendar.walk("VEVENT")[0]["SEQUENCE"] == 2
    expected = [(w["start"], w["end"]) for w in booked[:3]]
    assert python_occurrences(path.read_bytes()) == expected
    assert [(o["start"], o["end"]) for o in icaljs([path])[0]["occurrences"]] == expected


def test_a_series_moved_from_a_date_carries_on_as_a_new_series(loaded) -> None:
    booked = _book(loaded, "FREQ=MONTHLY;BYDAY=2TU;COUNT=6", datetime(2026, 12, 1, 21, 0, tzinfo=UTC))
    old = booked[0]["series"]["id"]
    with transaction(loaded) as session:
        out = lifecycle.change_series(
            session,
            ChangeSeries(
                command_id="cmd-series-move",
                series_id=old,
                since=datetime.fromisoformat(booked[2]["start"]),
                action="reschedule",
                start_time="23:30",
            ),
            rules=RULES,
            now=NOW,
        )
    events = [o.model_dump(mode="json") for o in out]
    new = [e["window"] for e in events if e["window"]["series"]["id"] != old]
    assert [w["start"] for w in new] == [
        "2027-02-09T22:30:00Z",
        "2027-03-09T22:30:00Z",
        "2027-04-13T21:30:00Z",  # 23:30 CEST
        "2027-05-11T21:30:00Z",
    ]
    assert new[0]["series"]["lead"] and new[0]["series"]["rrule"] == "FREQ=MONTHLY;BYDAY=2TU;COUNT=4"
    assert _view(loaded, booked[2]["id"]).series.replaced_by == new[0]["series"]["id"]
    with transaction(loaded) as session, pytest.raises(lifecycle.Rejected, match="no occurrence of"):
        lifecycle.change_series(
            session,
            ChangeSeries(
                command_id="cmd-series-again",
                series_id=old,
                since=NOW + timedelta(days=400),
                action="cancel",
                reason="x",
            ),
            rules=RULES,
            now=NOW,
        )


def test_an_occurrence_s_webhook_says_which_occurrence_of_which_series(loaded) -> None:
    from forewarn.schemas.impact import ImpactCause, ImpactResolved
    from forewarn.services.webhooks.events import cloud_event

    booked = _book(loaded, "FREQ=MONTHLY;BYDAY=2TU;COUNT=2", datetime(2026, 12, 1, 21, 0, tzinfo=UTC))
    second = _view(loaded, booked[1]["id"])
    impact = ImpactResolved(
        window=second,
        cause=ImpactCause.SCHEDULED,
        components=[],
        tenant_count=1,
        resource_count=1,
        tenants=[TENANT],
    )
    body = json.loads(cloud_event(impact, TENANT, "scheduled", provider="cloud.example.net", id="msg_1"))
    assert body["data"]["window"]["series"] == {"id": second.series.id, "occurrence": "2027-01-12T21:00:00Z"}


def test_a_rule_started_in_the_past_keeps_its_time_of_day_from_now_on(loaded) -> None:
    # "--start 22:00" yesterday (before now): the first occurrence is the next 22:00, not now's time of day.
    booked = _book(loaded, "FREQ=DAILY;COUNT=3", NOW - timedelta(hours=15))
    assert [w["start"] for w in booked] == [
        "2026-11-28T21:00:00Z",
        "2026-11-29T21:00:00Z",
        "2026-11-30T21:00:00Z",
    ]
