"""A tenant's calendar feed, from the store (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select
from sqlmodel import Session
from typer.testing import CliRunner

from forewarn.schemas.base import Impact, utcnow
from forewarn.schemas.commands import BookWindow, CancelWindow, HostSelector
from forewarn.services.cli.main import app
from forewarn.services.ical.feed import tenant_feed
from forewarn.services.inventory.load import load_inventory
from forewarn.services.inventory.models import Resource, UnknownTenant
from forewarn.services.platform.db import transaction
from forewarn.services.scheduler import lifecycle
from forewarn.services.scheduler.freezes import FreezeCalendar
from forewarn.services.scheduler.rules import Rules

RULES = Rules(min_lead=timedelta(0), max_duration=timedelta(days=14), freezes=FreezeCalendar([]))


def _book(engine, n: int, hosts: str) -> str:
    start = utcnow() + timedelta(days=n)
    cmd = BookWindow(
        command_id=f"feed-cmd-{n:04d}",
        title=f"Window {n}",
        impact=Impact.OUTAGE,
        start=start,
        end=start + timedelta(hours=2),
        hosts=HostSelector(nodeset=hosts),
    )
    with transaction(engine) as session:
        lifecycle.book(session, cmd, rules=RULES, now=utcnow())
    return lifecycle.window_id_for(cmd.command_id)


def _cancel(engine, window_id: str, command_id: str) -> None:
    with transaction(engine) as session:
        lifecycle.cancel(
            session,
            CancelWindow(command_id=command_id, window_id=window_id, reason="x"),
            rules=RULES,
            now=utcnow(),
        )


def test_feed_lists_the_tenants_windows_with_cancellations(engine, example_inventory) -> None:
    load_inventory(engine=engine, path=example_inventory)
    kept = _book(engine, 1, "sto1-cmp-[01-04]")
    dropped = _book(engine, 2, "sto1-cmp-[01-04]")
    _cancel(engine, dropped, "feed-cancel-1")
    with Session(engine) as session:
        (tenant,) = session.scalars(select(Resource.tenant).where(Resource.host == "sto1-cmp-01").limit(1))
        mine = set(
            session.scalars(
                select(Resource.id).where(
                    Resource.tenant == tenant, Resource.host.in_([f"sto1-cmp-0{i}" for i in range(1, 5)])
                )
            )
        )
    feed = Calendar.from_ical(
        tenant_feed(engine, tenant, provider="cloud.example.net", organizer="m@cloud.example.net")
    )
    assert "METHOD" not in feed
    events = {str(e["X-MAINTNOTE-MAINTENANCE-ID"]): e for e in feed.walk("VEVENT")}
    assert set(events) == {kept, dropped}
    assert events[dropped]["STATUS"] == "CANCELLED" and events[kept]["STATUS"] == "CONFIRMED"
    assert all("ATTENDEE" not in e for e in events.values())
    objects = events[kept].get("X-MAINTNOTE-OBJECT-ID")
    assert {str(o) for o in (objects if isinstance(objects, list) else [objects])} == mine
    assert events[kept]["UID"] == f"{kept}.{tenant}@cloud.example.net"


def test_unknown_tenant(engine, monkeypatch, db_url) -> None:
    with pytest.raises(UnknownTenant):
        tenant_feed(engine, "ghost", provider="cloud.example.net", organizer="m@cloud.example.net")
    monkeypatch.setenv("FOREWARN_DATABASE_URL", db_url)
    result = CliRunner().invoke(app, ["calendar", "ghost"])
    assert result.exit_code == 2 and "TENANT: no tenant 'ghost'" in result.output


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_empty_answers_name_the_filter_and_sites_match_in_any_case(
    engine, example_inventory, monkeypatch, db_url
) -> None:
    # Read commands read the store: no NATS needed.
    monkeypatch.setenv("FOREWARN_DATABASE_URL", db_url)
    assert "No windows yet" in _cli("list")
    assert "The inventory is empty" in _cli("inventory", "show", "--site", "sto1")
    load_inventory(engine=engine, path=example_inventory)
    kept = _book(engine, 1, "sto1-cmp-[01-04]")
    assert kept in _cli("list", "--site", "sto1")  # as operators type it
    assert _cli("list", "--site", "XXX").strip() == "No windows match --site XXX."
    assert _cli("list", "--state", "completed", "--site", "sto2").strip() == (
        "No windows match --state completed --site STO2."
    )
    assert "STO1 (Stockholm 1" in _cli("inventory", "show", "--site", "sto1")
    assert _cli("inventory", "show", "--site", "sto9").strip() == (
        "No site STO9 in the inventory (its sites: OSL2, STO1, STO2)."
    )


def test_inventory_hosts_lists_what_a_booking_can_name(
    engine, example_inventory, monkeypatch, db_url
) -> None:
    monkeypatch.setenv("FOREWARN_DATABASE_URL", db_url)
    load_inventory(engine=engine, path=example_inventory)
    shown = _cli("inventory", "hosts", "--site", "sto1", "--role", "compute")
    assert "sto1-cmp-[01-16]" in shown and "16" in shown and "gpu" not in shown
    listed = json.loads(_cli("inventory", "hosts", "--site", "STO1", "--json"))
    assert {h["role"] for h in listed} == {"compute", "gpu"} and all(h["site"] == "STO1" for h in listed)
    assert _cli("inventory", "hosts", "--site", "sto9").strip() == "No hosts match --site sto9."


def test_list_shows_live_windows_unless_asked_and_times_in_a_zone(
    engine, example_inventory, monkeypatch, db_url
) -> None:
    monkeypatch.setenv("FOREWARN_DATABASE_URL", db_url)
    load_inventory(engine=engine, path=example_inventory)
    live, ended = _book(engine, 3, "sto1-cmp-01"), _book(engine, 4, "sto1-cmp-02")
    _cancel(engine, ended, "list-cancel-1")
    shown = _cli("list")
    assert live in shown and ended not in shown
    assert f"Window {live}" in _cli("show", f" {live.upper()}")  # as read out of a ticket
    assert {live, ended} <= set(_cli("list", "--all").split())
    assert ended in _cli("list", "--state", "cancelled") and live not in _cli("list", "--state", "cancelled")
    assert [w["id"] for w in json.loads(_cli("list", "--json"))] == [live]
    assert " UTC (2h)" in shown
    assert " CET (2h)" in _cli("list", "--tz", "Europe/Stockholm")
    _cancel(engine, live, "list-cancel-2")
    assert _cli("list").strip() == "No live windows. `forewarn list --all` shows the ended ones too."
    result = CliRunner().invoke(app, ["list", "--tz", "Mars/Olympus"])
    assert result.exit_code == 2 and "--tz: 'Mars/Olympus' is not an IANA time zone" in result.output
