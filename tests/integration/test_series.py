"""A recurring window end to end: one invitation per tenant for the whole series, one override per change.

Real parts: nats-server with JetStream, an SMTP server, SQLite and the CLI.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from forewarn.services.inventory.models import Resource, TenantContact

from .conftest import cli_json, eventually, run_cli, running
from .smtp import Inbox

pytestmark = pytest.mark.integration
HOST = "sto1-cmp-01"


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'forewarn.db'}"


def _told(engine) -> Counter:
    """Each contact of each tenant with servers on the host: who should hear of the series."""
    with engine.connect() as conn:
        tenants = set(conn.scalars(select(Resource.tenant).where(Resource.host == HOST)))
        rows = conn.execute(select(TenantContact.tenant_id, TenantContact.email))
        return Counter(email for tenant, email in rows if tenant in tenants)


def _mails(inbox: Inbox, kind: str) -> list:
    return [m for m in inbox.messages if f".{kind}.r" in m["Message-ID"]]


def _calendar(message) -> Calendar:
    [ics] = [p for p in message.iter_attachments() if p.get_filename() == "invite.ics"]
    return Calendar.from_ical(ics.get_payload(decode=True))


async def test_a_series_is_one_invitation_and_each_change_one_update(env, js, smtp, monkeypatch) -> None:
    monkeypatch.setenv("FOREWARN_REMINDERS", "")
    inbox = smtp(Inbox())
    told = _told(env)
    # Tuesdays at 22:00 in Stockholm, from February two years ahead: no freeze, no date in the past.
    year = date.today().year + 2
    first_tuesday = next(date(year, 2, d) for d in range(1, 8) if date(year, 2, d).weekday() == 1)
    async with running("scheduler", "impact", "notifier", "reporter"):
        booked = await cli_json(
            "book", "--title", "Weekly patching", "--impact", "degraded", "--hosts", HOST,
            "--rrule", "FREQ=WEEKLY;BYDAY=TU", "--count", "4", "--tz", "Europe/Stockholm",
            "--start", f"{first_tuesday}T22:00", "--duration", "2h",
        )  # fmt: skip
        series = booked["series"]
        assert len(series["occurrences"]) == 4 and series["occurrence"] == series["occurrences"][0]
        assert series["occurrences"][0] == f"{first_tuesday}T21:00:00Z"
        await eventually(lambda: Counter(m["To"].addresses[0].addr_spec for m in inbox.messages) == told)
        await asyncio.sleep(2)  # and no mail for the other three occurrences
        assert len(inbox.messages) == sum(told.values())
        for message in inbox.messages:
            calendar = _calendar(message)
            event = calendar.walk("VEVENT")[0]
            assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/Stockholm"
            assert event["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=4;BYDAY=TU"
            assert event["UID"].startswith(f"{series['id']}.") and event["SEQUENCE"] == 1

        listed = await run_cli("list")
        assert listed.out.count(series["id"]) == 4
        occurrences = sorted(
            (w["start"], w["id"])
            for w in await cli_json("list")
            if w.get("series", {}).get("id") == series["id"]
        )
        assert [start for start, _ in occurrences] == series["occurrences"]
        shown = await run_cli("show", occurrences[2][1])
        assert (
            f"{series['id']}: occurrence 3 of 4, FREQ=WEEKLY;BYDAY=TU;COUNT=4 in Europe/Stockholm"
            in shown.out
        )

        # Occurrences in a change freeze are not booked, and the booking says so.
        december = next(date(year, 12, d) for d in range(1, 8) if date(year, 12, d).weekday() == 1)
        frozen = await run_cli(
            "book", "--title", "December patching", "--impact", "degraded", "--hosts", "osl2-cmp-01",
            "--rrule", "FREQ=WEEKLY;BYDAY=TU", "--count", "5", "--tz", "Europe/Oslo",
            "--start", f"{december}T22:00", "--duration", "2h",
        )  # fmt: skip
        assert frozen.code == 0, frozen.err
        skipped = [line for line in frozen.out.splitlines() if line.startswith("Skipped")]
        assert len(skipped) == 2 and all("Christmas and New Year change freeze" in line for line in skipped)

        # One occurrence called off: one CANCEL, for that occurrence, to each contact.
        await cli_json("cancel", occurrences[1][1], "--reason", "Nothing to patch that week")
        await eventually(lambda: len(_mails(inbox, "cancelled")) == sum(told.values()))
        for message in _mails(inbox, "cancelled"):
            calendar = _calendar(message)
            override = calendar.walk("VEVENT")[0]
            assert calendar.get("METHOD", "CANCEL") == "CANCEL" and override["STATUS"] == "CANCELLED"
            assert (
                override["RECURRENCE-ID"].to_ical()
                == f"{first_tuesday + timedelta(days=7):%Y%m%d}T220000".encode()
            )

        # The series called off from the third on: one update of the recurring VEVENT each.
        shown = await run_cli(
            "series",
            "cancel",
            series["id"],
            "--from",
            str(first_tuesday + timedelta(days=14)),
            "--reason",
            "Done",
        )
        assert shown.code == 0, shown.err
        await eventually(lambda: len(_mails(inbox, "series")) == sum(told.values()))
        await asyncio.sleep(2)
        assert len(_mails(inbox, "cancelled")) == sum(told.values())  # the two it called off told nobody
        for message in _mails(inbox, "series"):
            calendar = _calendar(message)
            event = calendar.walk("VEVENT")[0]
            assert calendar.get("METHOD", "REQUEST") == "REQUEST" and event["SEQUENCE"] == 2
            assert "RECURRENCE-ID" not in event
            assert b"UNTIL=" in event["RRULE"].to_ical() and b"COUNT" not in event["RRULE"].to_ical()
        later = first_tuesday + timedelta(days=60)
        refused = await run_cli(
            "series", "cancel", series["id"], "--from", str(later), "--reason", "x", "--json"
        )
        assert refused.code == 2 and "no occurrence of" in refused.out
