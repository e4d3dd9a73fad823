"""Notices end to end: real NATS, the services, and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import json
import threading
from asyncio.subprocess import DEVNULL
from collections import Counter

import pytest
from icalendar import Calendar

from forewarn.schemas import subjects
from forewarn.schemas.impact import ImpactResolved

from .conftest import FOREWARN, cli_json, eventually, run_cli, running, stream_messages
from .smtp import Inbox, Moody

pytestmark = pytest.mark.integration
LATER = ["--start", "+2h", "--duration", "1h"]


def _calendar(message) -> Calendar:
    [ics] = [p for p in message.iter_attachments() if p.get_filename() == "invite.ics"]
    return Calendar.from_ical(ics.get_payload(decode=True))


async def test_each_contact_gets_one_notice_per_change_and_redelivery_sends_nothing(env, js, smtp) -> None:
    inbox = smtp(Inbox())
    async with running("scheduler", "impact", "notifier") as stack:
        title = ["--title", "STO1 compute: Ubuntu migration", "--impact", "outage"]
        booked = await cli_json("book", *title, *LATER, "--hosts", "sto1-cmp-[01-04]")
        [impact] = await eventually(lambda: stream_messages(js, subjects.IMPACT_RESOLVED))
        tenants = json.loads(impact.data)["tenants"]
        expected = Counter(c["email"] for t in tenants for c in t["contacts"])
        assert len(expected) >= 14

        await eventually(lambda: len(inbox.messages) >= len(expected))
        assert Counter(m["To"].addresses[0].addr_spec for m in inbox.messages) == expected
        invites = [m for m in inbox.messages if _calendar(m).get("METHOD") == "REQUEST"]
        notices = [m for m in inbox.messages if "METHOD" not in _calendar(m)]
        assert invites and notices and len(invites) + len(notices) == len(expected)

        # The same ImpactResolved again (a redelivery past the dedup window): nothing is re-sent.
        await stack.broker.publish(
            impact.data,
            subjects.IMPACT_RESOLVED,
            stream=subjects.STREAM,
            headers={"Nats-Msg-Id": "replayed-impact", "content-type": "application/json"},
        )

        async def settled() -> bool:
            info = await js.consumer_info(subjects.STREAM, "notifier")
            return (
                info.num_pending == 0
                and info.num_ack_pending == 0
                and info.delivered.stream_seq > impact.metadata.sequence.stream
            )

        await eventually(settled)
        assert len(inbox.messages) == len(expected)

        moved = await run_cli("reschedule", booked["id"], "--start", "+3h", "--duration", "1h")
        assert moved.code == 0, moved.err
        await eventually(
            lambda: (
                len(
                    inbox.of_kind("Maintenance updated")
                    + inbox.of_kind("Underhåll ändrat")
                    + inbox.of_kind("Vedlikehold endret")
                )
                == len(expected)
            )
        )
        updated = [m for m in inbox.messages[len(expected) :]]
        assert all(_calendar(m).walk("VEVENT")[0]["SEQUENCE"] == 2 for m in updated)
        english = [m for m in updated if m["Subject"].startswith("[Maintenance updated]")]
        assert english and "Moved from" in english[0].get_body(("plain",)).get_content()

        gone = await run_cli("cancel", booked["id"], "--reason", "parts delayed")
        assert gone.code == 0
        await eventually(lambda: len(inbox.messages) == 3 * len(expected))
        cancels = inbox.messages[2 * len(expected) :]
        invite_cancels = [m for m in cancels if _calendar(m).get("METHOD") == "CANCEL"]
        assert len(invite_cancels) == len(invites)
        assert all(_calendar(m).walk("VEVENT")[0]["STATUS"] == "CANCELLED" for m in cancels)

        shown = await cli_json("show", booked["id"])
        assert shown["notices"] == {"pending": 0, "sent": 3 * len(expected), "failed": 0}
        delivered = await stream_messages(js, subjects.NOTICE_DELIVERED)
        assert len(delivered) == 3 * len(expected)


async def test_transient_refusals_are_retried_and_permanent_ones_recorded(env, js, smtp) -> None:
    refused = "ops@acmeab.example"
    handler = smtp(Moody(refused))
    async with running("scheduler", "impact", "notifier"):
        booked = await cli_json(
            "book", "--title", "GPU swap", "--impact", "degraded", *LATER, "--site", "STO1"
        )
        [impact] = await eventually(lambda: stream_messages(js, subjects.IMPACT_RESOLVED))
        contacts = {c["email"] for t in json.loads(impact.data)["tenants"] for c in t["contacts"]}
        assert refused in contacts
        [failed] = await eventually(lambda: stream_messages(js, subjects.NOTICE_FAILED), timeout=60)
        failure = json.loads(failed.data)
        assert failure["contact"] == refused and failure["reason"].startswith("550 5.1.1 mailbox unavailable")
        await eventually(lambda: len(handler.messages) == len(contacts) - 1, timeout=60)
        # Every other contact got exactly one message, after one 451 each.
        assert Counter(m["To"].addresses[0].addr_spec for m in handler.messages) == Counter(
            contacts - {refused}
        )
        assert set(handler.tried.values()) == {2}
        shown = await cli_json("show", booked["id"])
        assert shown["notices"] == {"pending": 0, "sent": len(contacts) - 1, "failed": 1}


async def test_reminders_fire_from_durable_timers_and_skip_leads_already_past(
    env, js, smtp, monkeypatch
) -> None:
    inbox = smtp(Inbox())
    monkeypatch.setenv("FOREWARN_REMINDERS", "8s,1h")
    async with running("scheduler", "impact", "notifier"):
        title = ["--title", "OSL2 GPU firmware", "--impact", "degraded"]
        booked = await cli_json(
            "book", *title, "--start", "+14s", "--duration", "1h", "--hosts", "osl2-gpu-a2-01"
        )
        [impact] = await eventually(lambda: stream_messages(js, subjects.IMPACT_RESOLVED))
        contacts = Counter(c["email"] for t in json.loads(impact.data)["tenants"] for c in t["contacts"])
        await eventually(lambda: len(inbox.messages) == 2 * len(contacts), timeout=30)
        reminders = [
            m for m in inbox.messages if "remind" in m["Subject"].lower() or "Påminnelse" in m["Subject"]
        ]
        assert Counter(m["To"].addresses[0].addr_spec for m in reminders) == contacts
        # The 1h lead had already passed at booking: no timer was set for it.
        info = await js.stream_info(
            subjects.REMINDER_STREAM, subjects_filter=subjects.reminder_timers(booked["id"])
        )
        assert not info.state.subjects
        shown = await cli_json("show", booked["id"])
        assert shown["notices"]["sent"] == 2 * len(contacts)


async def test_an_older_revision_handled_late_leaves_the_newer_reminders(env, js, smtp) -> None:
    # Notifier processes share the parts, so a revision can be handled after a newer one.
    smtp(Inbox())
    async with running("scheduler", "impact", "notifier") as stack:
        booked = await cli_json(
            "book", "--title", "Disk swap", "--impact", "outage", *LATER, "--hosts", "sto1-cmp-01"
        )
        [first] = await eventually(lambda: stream_messages(js, subjects.IMPACT_RESOLVED))
        moved = await run_cli("reschedule", booked["id"], "--start", "+3h", "--duration", "1h")
        assert moved.code == 0, moved.err

        async def timers_of(revision: int) -> bool:
            timers = await stream_messages(
                js, subjects.reminder_timers(booked["id"]), subjects.REMINDER_STREAM
            )
            return bool(timers) and all(json.loads(t.data)["revision"] == revision for t in timers)

        await eventually(lambda: timers_of(2))
        ack = await stack.broker.publish(
            first.data, subjects.IMPACT_RESOLVED, stream=subjects.STREAM, headers={"Nats-Msg-Id": "late-r1"}
        )

        async def handled() -> bool:
            info = await js.consumer_info(subjects.STREAM, "notifier")
            return info.ack_floor.stream_seq >= ack.seq

        await eventually(handled)
        assert await timers_of(2), "the late revision 1 replaced revision 2's reminders"


async def test_an_impact_handled_again_keeps_its_reminders(env, js, smtp) -> None:
    # A notifier that crashes after setting the reminders, before its ack, sees the impact again.
    smtp(Inbox())
    async with running("scheduler", "impact", "notifier") as stack:
        days = ["--start", "+4d", "--duration", "1h"]  # far enough for both leads, 72h and 1h
        booked = await cli_json(
            "book", "--title", "Disk swap", "--impact", "outage", *days, "--hosts", "sto1-cmp-01"
        )
        [stored] = await eventually(lambda: stream_messages(js, subjects.IMPACT_RESOLVED))
        timers = subjects.reminder_timers(booked["id"])

        async def both_set():  # the 72h and the 1h reminder: the first alone is not yet the state
            found = await stream_messages(js, timers, subjects.REMINDER_STREAM)
            return found if len(found) == 2 else None

        before = await eventually(both_set)
        impact = ImpactResolved.model_validate_json(stored.data)
        await stack.running["notifier"]._set_reminders(impact, stored.metadata.sequence.stream)
        after = await stream_messages(js, timers, subjects.REMINDER_STREAM)
        assert [t.subject for t in after] == [t.subject for t in before] and len(before) == 2


class Killer(Inbox):
    """Holds the MAIL FROM of the n-th message until the test has killed the notifier."""

    def __init__(self, kill_before: int) -> None:
        super().__init__()
        self.kill_before = kill_before
        self.mails = 0
        # The SMTP server runs on its own thread and loop: plain threading events cross it.
        self.reached = threading.Event()
        self.killed = threading.Event()

    async def handle_MAIL(self, server, session, envelope, address, mail_options) -> str:
        self.mails += 1
        if self.mails == self.kill_before:
            # The previous delivery has had its 250 and its ledger write: kill between two deliveries.
            await asyncio.sleep(0.5)
            self.reached.set()
            await asyncio.to_thread(self.killed.wait, 60)
            return "421 4.3.2 going away"
        envelope.mail_from = address
        return "250 OK"


async def test_killing_the_notifier_between_two_deliveries_sends_each_notice_once(
    env, js, smtp, monkeypatch
) -> None:
    handler = Killer(kill_before=4)
    smtp(handler)
    monkeypatch.setenv("FOREWARN_SMTP_CONCURRENCY", "1")
    monkeypatch.setenv("FOREWARN_REMINDERS", "")
    notifier = await asyncio.create_subprocess_exec(
        FOREWARN, "run", "notifier", stdout=DEVNULL, stderr=DEVNULL
    )
    try:
        async with running("scheduler", "impact"):
            title = ["--title", "STO1 compute: kernel", "--impact", "outage"]
            await cli_json("book", *title, *LATER, "--hosts", "sto1-cmp-[01-04]")
            [impact] = await eventually(lambda: stream_messages(js, subjects.IMPACT_RESOLVED))
            expected = Counter(c["email"] for t in json.loads(impact.data)["tenants"] for c in t["contacts"])
            await eventually(handler.reached.is_set, timeout=30)
            notifier.kill()  # SIGKILL: no clean shutdown, no ack
            await notifier.wait()
            handler.killed.set()
            assert len(handler.messages) == 3
            notifier = await asyncio.create_subprocess_exec(
                FOREWARN, "run", "notifier", stdout=DEVNULL, stderr=DEVNULL
            )
            await eventually(lambda: len(handler.messages) >= len(expected), timeout=90)
            await asyncio.sleep(1)
            received = Counter(m["To"].addresses[0].addr_spec for m in handler.messages)
            print(
                f"expected {sum(expected.values())}, delivered {len(handler.messages)}, "
                f"duplicates {sum(n - 1 for n in received.values() if n > 1)}, "
                f"missing {sum((expected - received).values())}"
            )
            assert received == expected
    finally:
        if notifier.returncode is None:
            notifier.terminate()
            await notifier.wait()


async def test_a_long_non_ascii_name_is_delivered_in_lines_smtp_takes(env, js, smtp, tmp_path) -> None:
    # 200 emoji once made a 1,081-character To: line, and aiosmtpd answered "500 Line too long".
    emoji, nordic = "😀" * 200, "Åsa Östlund-Häggström, Driftansvarig för Lagringsplattformen " * 3
    extra = {
        "tenants": [
            {"id": "long-names", "name": "Långa Namn AB", "timezone": "Europe/Stockholm", "locale": "sv",
             "contacts": [{"email": "emoji@long.example", "name": emoji},
                          {"email": "nordic@long.example", "name": nordic.strip()}]},
        ],
        "resources": [
            {"id": "vm-long", "name": "web", "kind": "vm", "host": "sto1-cmp-01", "tenant": "long-names"}
        ],
    }  # fmt: skip
    (tmp_path / "extra.json").write_text(json.dumps(extra))
    assert (await run_cli("inventory", "load", str(tmp_path / "extra.json"))).code == 0
    inbox = smtp(Inbox())
    async with running("scheduler", "impact", "notifier"):
        booked = await cli_json("book", "--title", "Ünïcode – långt", "--impact", "outage", *LATER,
                                "--hosts", "sto1-cmp-01")  # fmt: skip
        ours = ("emoji@long.example", "nordic@long.example")

        def arrived() -> list:
            return [m for m in inbox.messages if m["To"].addresses[0].addr_spec in ours]

        mails = await eventually(lambda: len(arrived()) == 2 and arrived())
        shown = await cli_json("show", booked["id"])
        assert shown["notices"]["failed"] == 0
    names = {m["To"].addresses[0].addr_spec: m["To"].addresses[0].display_name for m in mails}
    # The stdlib parser puts a space between encoded words; mail clients do not (RFC 2047).
    assert names["emoji@long.example"].replace(" ", "") == emoji
    assert names["nordic@long.example"].replace(" ", "") == nordic.replace(" ", "")
