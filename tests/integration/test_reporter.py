"""Completion reports end to end: real NATS, the four services, a real SMTP server."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

import pytest
from icalendar import Calendar

from forewarn.schemas import subjects

from .conftest import cli_json, eventually, run_cli, running, stream_messages
from .smtp import Inbox

pytestmark = pytest.mark.integration
OPS = "ops-team@cloud.example.net"
REFUSED = "cto@gotlandenergy.example"


class Refusing(Inbox):
    """Answers 550 for one mailbox and keeps everything else."""

    async def handle_DATA(self, server, session, envelope) -> str:
        if envelope.rcpt_tos == [REFUSED]:
            return "550 5.1.1 mailbox unavailable"
        return await super().handle_DATA(server, session, envelope)


def _ics(message) -> Calendar:
    [part] = [p for p in message.iter_attachments() if p.get_filename() == "invite.ics"]
    return Calendar.from_ical(part.get_payload(decode=True))


@pytest.fixture
def reporting(env, monkeypatch):
    monkeypatch.setenv("FOREWARN_OPS_EMAIL", OPS)
    monkeypatch.setenv("FOREWARN_REMINDERS", "")
    return env


async def test_a_completed_window_is_reported_to_tenants_and_ops(reporting, js, smtp, monkeypatch) -> None:
    monkeypatch.setenv("FOREWARN_NOTIFY_STARTED", "1")
    inbox = smtp(Refusing())
    async with running("scheduler", "impact", "notifier", "reporter"):
        booked = await cli_json(
            "book", "--title", "Firmware", "--impact", "outage", "--start", "+3s", "--duration", "2s",
            "--hosts", "sto1-cmp-[01-02]",
        )  # fmt: skip
        wid = booked["id"]
        [published] = await eventually(lambda: stream_messages(js, subjects.REPORT_PUBLISHED), timeout=60)
        [impact, *_] = await stream_messages(js, subjects.IMPACT_RESOLVED)
        tenants = json.loads(impact.data)["tenants"]
        contacts = {c["email"] for t in tenants for c in t["contacts"]}
        assert REFUSED in contacts
        await eventually(lambda: inbox.of_kind("Report"), timeout=30)

    report = json.loads(published.data)
    assert report["outcome"] == "completed" and report["window"]["id"] == wid
    assert report["actual_start"] and report["actual_end"] and report["overrun"] in ("PT0S", "PT1S")
    assert report["tenant_count"] == len(tenants)
    # Every contact but one got scheduled, started and completed notices: three each, once.
    got = Counter(
        m["To"].addresses[0].addr_spec for m in inbox.messages if not m["Subject"].startswith("[Report")
    )
    assert got == Counter({c: 3 for c in contacts - {REFUSED}})
    assert report["notices"] | {"schema_version": 1} == {
        "sent": 3 * (len(contacts) - 1), "failed": 3, "pending": 0, "schema_version": 1
    }  # fmt: skip
    assert {f["kind"] for f in report["failures"]} == {"scheduled", "started", "completed"}
    assert all(f["contact"] == REFUSED and f["reason"].startswith("550 5.1.1") for f in report["failures"])

    for done in inbox.of_kind("Maintenance completed") + inbox.of_kind("Underhåll slutfört"):
        event = _ics(done).walk("VEVENT")[0]
        assert str(event["X-MAINTNOTE-STATUS"]) == "COMPLETED" and event["SEQUENCE"] == 3
        # iCalendar keeps whole seconds.
        assert event.decoded("DTSTART") == datetime.fromisoformat(report["actual_start"]).replace(
            microsecond=0
        )
    started = inbox.of_kind("Maintenance started") + inbox.of_kind("Underhåll påbörjat")
    assert started and all(
        str(_ics(m).walk("VEVENT")[0]["X-MAINTNOTE-STATUS"]) == "IN-PROCESS" for m in started
    )

    [ops] = inbox.of_kind("Report")
    assert ops["To"].addresses[0].addr_spec == OPS and wid in ops["Subject"]
    text = ops.get_body(("plain",)).get_content()
    assert f"{REFUSED}> completed r3: 550 5.1.1 mailbox unavailable" in text
    [attached] = [p for p in ops.iter_attachments() if p.get_filename() == f"report-{wid}.json"]
    full = json.loads(attached.get_payload(decode=True))
    assert {t["tenant_id"] for t in full["tenants"]} == {t["tenant_id"] for t in tenants}

    shown = await cli_json("report", wid)
    assert shown["notices"] == report["notices"] and len(shown["failures"]) == 3
    assert sum(len(t["resources"]) for t in shown["tenants"]) == report["resource_count"]
    printed = await run_cli("report", wid)
    assert printed.code == 0 and "Failed notices" in printed.out and REFUSED in printed.out


async def test_a_cancelled_window_is_reported_without_completion_notices(reporting, js, smtp) -> None:
    inbox = smtp(Inbox())
    async with running("scheduler", "impact", "notifier", "reporter"):
        booked = await cli_json(
            "book", "--title", "Disk swap", "--impact", "degraded", "--start", "+2h", "--duration", "1h",
            "--hosts", "osl2-cmp-01",
        )  # fmt: skip
        early = await run_cli("report", booked["id"])
        assert early.code == 2 and "is scheduled; its report is made when it completes" in early.err
        await cli_json("cancel", booked["id"], "--reason", "vendor delay")
        [published] = await eventually(lambda: stream_messages(js, subjects.REPORT_PUBLISHED), timeout=60)
        await eventually(lambda: inbox.of_kind("Report"), timeout=30)
    report = json.loads(published.data)
    assert report["outcome"] == "cancelled" and report["actual_start"] is None
    assert not [m for m in inbox.messages if "complete" in m["Subject"].lower()]
    missing = await run_cli("report", "mw-nothere")
    assert missing.code == 2 and "ID: no window mw-nothere" in missing.err
