"""Calendars' answers from a real mailbox (Dovecot), read by `forewarn run replies` as a process of its own.

Replies shaped as Outlook, Gmail and Thunderbird send them go into the
organizer's INBOX beside mail that is no answer; the reader is killed while
going through them and started again. Every answer is recorded once, and shows
in `show`, `report`, the tenant's page and the events; the other mail stays.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import time
from contextlib import suppress
from email.message import EmailMessage

import pytest
from icalendar import Calendar
from imapclient import IMAPClient
from nats.aio.client import Client as Nats

from forewarn.schemas import subjects
from forewarn.schemas.answers import ReplyReceived
from forewarn.services.statuspage.tokens import issue
from tests import calendar_replies as mails
from tests.calendar_replies import Invited

from .conftest import FOREWARN, cli_json, eventually, run_cli, running, stream_messages
from .smtp import Inbox
from .web import get

pytestmark = pytest.mark.integration

HOSTS = "sto1-cmp-[01-04]"


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'forewarn.db'}"


def _invited(mail: EmailMessage) -> tuple[str, Invited]:
    """The tenant and what its invitation told this recipient."""
    part = next(p for p in mail.walk() if p.get_content_type() == "text/calendar")
    calendar = Calendar.from_ical(part.get_content())
    [event] = calendar.walk("VEVENT")
    uid = str(event["UID"])
    invited = Invited(
        uid=uid,
        sequence=int(event["SEQUENCE"]),
        start=event["DTSTART"].dt,
        end=event["DTEND"].dt,
        summary=str(event["SUMMARY"]),
        attendee=mail["To"].addresses[0].addr_spec.lower(),
        message_id=mail["Message-ID"],
    )
    return uid.split(".", 1)[1].split("@")[0], invited


def _updates(inbox: Inbox) -> list[EmailMessage]:
    return [m for m in inbox.messages if ".updated.r2." in m["Message-ID"]]


def _mailbox(dovecot) -> IMAPClient:
    client = IMAPClient("127.0.0.1", port=dovecot.port, ssl=False)
    client.login(dovecot.user, dovecot.password)
    return client


def _read_from(dovecot, monkeypatch, **more: str) -> None:
    """Point the replies reader at the test's mailbox, with these settings besides."""
    for name, value in {
        "FOREWARN_IMAP_HOST": "127.0.0.1",
        "FOREWARN_IMAP_PORT": str(dovecot.port),
        "FOREWARN_IMAP_TLS": "none",
        "FOREWARN_IMAP_USERNAME": dovecot.user,
        "FOREWARN_IMAP_PASSWORD": dovecot.password,
        "FOREWARN_REMINDERS": "",
        **more,
    }.items():
        monkeypatch.setenv(name, value)


async def _reader() -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        FOREWARN,
        "run",
        "replies",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env=os.environ,
    )


async def test_calendar_answers_are_read_once_through_a_kill_and_shown_everywhere(
    env, js, smtp, dovecot, monkeypatch
) -> None:
    inbox = smtp(Inbox())
    _read_from(dovecot, monkeypatch, FOREWARN_IMAP_IDLE="2s", FOREWARN_STATUS_PORT="0")
    async with running("scheduler", "impact", "notifier", "reporter", "statuspage") as stack:
        booked = await cli_json("book", "--title", "Kernel update", "--impact", "outage",
                                "--start", "+20s", "--duration", "1h", "--hosts", HOSTS)  # fmt: skip
        window_id = booked["id"]
        await cli_json("reschedule", window_id, "--start", "+25s", "--duration", "1h")
        people = sum(t["contacts"] for t in (await cli_json("show", window_id))["affected"])
        # The invitations of the new plan, in every tenant's language.
        updated = await eventually(lambda: len(_updates(inbox)) == people and _updates(inbox))
        by_tenant: dict[str, list[Invited]] = {}
        for mail in updated:
            tenant, invited = _invited(mail)
            by_tenant.setdefault(tenant, []).append(invited)
        assert all(i.sequence == 2 for found in by_tenant.values() for i in found)
        accepter, decliner, proposer, late, delegating, *others = sorted(by_tenant)
        wanted = (by_tenant[proposer][0].start.replace(hour=2), by_tenant[proposer][0].end.replace(hour=4))
        deputy = Invited(**{**by_tenant[delegating][0].__dict__, "attendee": f"deputy@{delegating}.example"})
        unanswered = others.pop()
        stranger = Invited(**{**by_tenant[unanswered][0].__dict__, "attendee": "stranger@evil.example"})
        impostor = Invited(**{**by_tenant[unanswered][0].__dict__, "attendee": "impostor@evil.example"})
        # The contact hands the invitation on first: its deputy's answer then counts for it.
        delegation = mails.thunderbird(by_tenant[delegating][0], "DELEGATED", delegated_to=deputy.attendee)
        answers = [
            mails.outlook(by_tenant[accepter][0], sequence=False),  # nothing but its times name the plan
            mails.gmail(by_tenant[decliner][0], "DECLINED", note="Our release runs that night"),
            mails.outlook(by_tenant[proposer][0], counter=wanted, comment="Early morning suits us"),
            mails.thunderbird(by_tenant[late][0], "ACCEPTED", sequence=1),  # to the plan before the move
            mails.thunderbird(deputy, "ACCEPTED", delegated_from=by_tenant[delegating][0].attendee),
            # A stranger answering with a contact's UID, and a deputy no contact named: nothing.
            mails.thunderbird(stranger, "ACCEPTED"),
            mails.thunderbird(impostor, "ACCEPTED", delegated_from=by_tenant[unanswered][0].attendee),
            *(mails.thunderbird(i, "ACCEPTED") for t in others for i in by_tenant[t]),
        ]
        junk = [mails.out_of_office("Kernel update"), mails.someone_elses_invitation()]
        box = _mailbox(dovecot)
        for raw in [junk[0], delegation, *answers[:3], junk[1], *answers[3:]]:
            box.append("INBOX", raw)
        counted = len(answers) - 2  # the stranger's and the impostor's count for nothing

        # The reader is killed once it is under way, and started again.
        reader = await _reader()
        await eventually(lambda: _replies_at_least(js, 3), timeout=30)
        reader.send_signal(signal.SIGKILL)
        await reader.wait()
        killed_at = len(await stream_messages(js, subjects.REPLIES))
        reader = await _reader()
        try:
            replies = await eventually(lambda: _replies_at_least(js, counted), timeout=30)
            await asyncio.sleep(3)  # a second pass, or a repeat, would show by now
            replies = await stream_messages(js, subjects.REPLIES)
        finally:
            reader.send_signal(signal.SIGTERM)
            _, err = await reader.communicate()
        assert killed_at < counted, "the reader was not killed mid-mailbox"
        assert reader.returncode == 0, err.decode()
        events = [ReplyReceived.model_validate_json(m.data) for m in replies]
        assert len(events) == counted and {e.via for e in events} == {"calendar"}

        # Answers moved to their folder; the rest left where it was.
        box.select_folder("INBOX")
        assert len(box.search()) == len(junk)
        box.select_folder("forewarn-answers")
        assert len(box.search()) == counted + 1  # and the delegation
        box.select_folder("forewarn-strangers")
        assert len(box.search()) == 2
        box.logout()

        shown = (await cli_json("show", window_id))["answers"]
        assert accepter in shown["acknowledged"] and delegating in shown["acknowledged"]
        assert set(others) <= set(shown["acknowledged"])
        assert unanswered in shown["no_answer"] and unanswered not in shown["acknowledged"]
        [declined] = shown["declined"]
        assert declined["tenant_id"] == decliner and declined["comment"] == "Our release runs that night"
        [proposed] = shown["proposed"]
        assert proposed["tenant_id"] == proposer and proposed["comment"] == "Early morning suits us"
        assert proposed["proposed_start"].startswith(wanted[0].strftime("%Y-%m-%dT%H:%M"))
        [stale] = shown["stale"]
        assert stale["tenant_id"] == late and stale["revision"] == 1 and late in shown["no_answer"]
        delegated = next(e for e in events if e.tenant_id == delegating)
        assert (
            delegated.contact == by_tenant[delegating][0].attendee
        )  # recorded for the contact it stood in for

        page = stack.running["statuspage"].address
        mine = await get(f"{page}/t/{issue(env, decliner)}")
        assert 'data-answer="declined"' in mine.text and "Our release runs that night" in mine.text

        # The report, once the work is done, says the same.
        await eventually(lambda: _in_progress(window_id), timeout=40)
        await cli_json("complete", window_id)
        report = await eventually(lambda: _report(window_id), timeout=30)
        assert report["answers"]["acknowledged"] == shown["acknowledged"]
        assert [d["tenant_id"] for d in report["answers"]["declined"]] == [decliner]


async def _replies_at_least(js, n: int) -> list | None:
    found = await stream_messages(js, subjects.REPLIES)
    return found if len(found) >= n else None


async def _in_progress(window_id: str) -> bool:
    return (await cli_json("show", window_id))["status"] == "in_progress"


async def _report(window_id: str) -> dict | None:
    result = await run_cli("report", window_id, "--json")
    return json.loads(result.out) if result.code == 0 else None


async def test_an_answer_arriving_at_any_moment_is_read_within_seconds(
    env, js, smtp, dovecot, nats_server, monkeypatch
) -> None:
    """With IDLE at its default of minutes, no answer may wait for the next mail to be noticed."""
    inbox = smtp(Inbox())
    _read_from(dovecot, monkeypatch)
    monkeypatch.delenv("FOREWARN_IMAP_IDLE", raising=False)
    async with running("scheduler", "impact", "notifier"):
        booked = await cli_json("book", "--title", "Kernel update", "--impact", "outage",
                                "--start", "+2h", "--duration", "1h", "--hosts", HOSTS)  # fmt: skip
        people = sum(t["contacts"] for t in (await cli_json("show", booked["id"]))["affected"])
        invitations = await eventually(lambda: len(inbox.messages) == people and list(inbox.messages))
    invited = [_invited(mail)[1] for mail in invitations]

    arrived: list[float] = []
    nc = Nats()
    await nc.connect(nats_server.url)

    async def seen(_msg) -> None:
        arrived.append(time.monotonic())

    await nc.subscribe(subjects.REPLY_RECEIVED, cb=seen)
    reader = await _reader()
    box = _mailbox(dovecot)
    rng = random.Random(37)

    def answer(n: int) -> bytes:
        raw = mails.thunderbird(rng.choice(invited), "ACCEPTED")
        return re.sub(rb"Message-ID: <[^>]+>", f"Message-ID: <answer-{n}@test>".encode(), raw, count=1)

    try:
        # A first answer, read once the reader is up: from then on it is idling.
        await asyncio.to_thread(box.append, "INBOX", answer(0))
        await eventually(lambda: arrived, timeout=30)
        # Ten bursts of five, each at a random moment of the reader's IDLE slices (a second or
        # two), some between two. The last of a burst has no later mail to wake the reader for it.
        sent: list[float] = []
        for _ in range(10):
            await asyncio.sleep(rng.uniform(0, 2.5))
            for _ in range(5):
                await asyncio.to_thread(box.append, "INBOX", answer(len(sent) + 1))
                sent.append(time.monotonic())
                await asyncio.sleep(rng.uniform(0, 0.1))
            with suppress(AssertionError):
                await eventually(lambda: len(arrived) > len(sent), timeout=5, interval=0.02)
            if len(arrived) <= len(sent):
                break
    finally:
        box.logout()
        reader.send_signal(signal.SIGTERM)
        await reader.communicate()
        await nc.close()
    # The reader takes the mailbox oldest first: the n-th answer published is the n-th appended.
    waits = [round(seen - at, 2) for at, seen in zip(sent, arrived[1:], strict=False)]
    assert len(waits) == len(sent) == 50, f"{len(sent) - len(waits)} answers not read within 5 s: {waits}"
    assert max(waits) < 5, waits
