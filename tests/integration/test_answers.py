"""Tenants answer from their notices: a signed link, a confirmation page, and only its form records.

Real parts throughout: the notifier mails a real SMTP server, the link comes
from the delivered mail, Chromium opens it and posts the form, and the answer
travels over JetStream to the reporter's store, `forewarn show` and the
tenant's own page.
"""

from __future__ import annotations

import asyncio
import re
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import async_playwright, expect
from sqlmodel import Session

from forewarn.services.answers.links import AnswerLinks
from forewarn.services.inventory.models import Tenant
from tests.factories import make_window

from .conftest import FLAGS, cli_json, eventually, running, stream_messages
from .smtp import Inbox, free_port
from .web import get

pytestmark = pytest.mark.integration

SECRET = "a-test-secret-that-is-long-enough-0123456789"
LINK = re.compile(r"http://127\.0\.0\.1:\d+/answer/[A-Za-z0-9_.\-]+(?:\?propose=1)?")


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'forewarn.db'}"


def _post(url: str, fields: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=urlencode(fields).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


async def _answers(window_id: str) -> dict:
    return (await cli_json("show", window_id))["answers"]


async def test_a_tenant_acknowledges_and_asks_for_another_time_from_its_notice(
    chromium, env, js, smtp, monkeypatch, tmp_path
) -> None:
    inbox = smtp(Inbox())
    port = free_port()
    page_url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("FOREWARN_STATUS_PORT", str(port))
    monkeypatch.setenv("FOREWARN_STATUS_URL", page_url)
    monkeypatch.setenv("FOREWARN_ANSWER_SECRET", SECRET)
    monkeypatch.setenv("FOREWARN_OPS_EMAIL", "ops@cloud.example.net")
    monkeypatch.setenv("FOREWARN_REMINDERS", "")
    services = ("scheduler", "impact", "notifier", "reporter", "statuspage")
    async with running(*services), async_playwright() as pw:
        booked = await cli_json(
            "book", "--title", "Kernel update", "--impact", "outage", "--start", "+2d",
            "--duration", "2h", "--hosts", "sto1-gpu-a2-01",
        )  # fmt: skip
        window_id = booked["id"]
        [mail, *_] = await eventually(lambda: inbox.of_kind("Maintenance scheduled"))
        text = mail.get_body(("plain",)).get_content()
        acknowledge, propose = LINK.findall(text)
        assert propose == acknowledge + "?propose=1"
        assert f'href="{acknowledge}"' in mail.get_body(("html",)).get_content()
        tenant_id = text.split(f"{window_id} / ")[1].split()[0]

        # What a mail scanner does, opening every link, records nothing.
        for url in (acknowledge, propose):
            opened = await get(url)
            assert opened.status == 200 and "Nothing is recorded until you press a button" in opened.text
        assert await stream_messages(js, "maint.reply.>") == []

        # A token altered, signed with another key or expired is any unknown address.
        token = acknowledge.rsplit("/", 1)[1]
        past = make_window(id=window_id, end=datetime.now(UTC) - timedelta(minutes=1))
        contact = mail["To"].addresses[0].addr_spec
        for wrong in (
            token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
            AnswerLinks("another-secret-another-secret-another", page_url).token(
                booked_view(booked), tenant_id, contact
            ),
            AnswerLinks(SECRET, page_url).token(past, tenant_id, contact),
        ):
            assert (await get(f"{page_url}/answer/{wrong}")).status == 404
            assert await asyncio.to_thread(_post, f"{page_url}/answer/{wrong}", {"answer": "accepted"}) == 404

        browser = await pw.chromium.launch(executable_path=str(chromium), args=FLAGS)
        tab = await browser.new_page()
        await tab.goto(acknowledge)
        await tab.get_by_role("button", name="Acknowledge").click()
        # The page answers once the reporter has stored it: beside other test workers, that can take seconds.
        await expect(tab.locator(".answered")).to_contain_text("acknowledgement is recorded", timeout=20_000)
        answers = await eventually(lambda: _acknowledged(window_id, tenant_id))
        assert answers["tenants"] >= 1 and tenant_id not in answers["no_answer"]

        # The same form sent again is the same answer: stored once.
        assert await asyncio.to_thread(_post, acknowledge, {"answer": "accepted"}) == 200
        replies = await stream_messages(js, "maint.reply.>")
        assert len(replies) == 1

        # A bad time, or one already past, is refused with the field and the reason, and nothing recorded.
        for bad in ("soon", "2020-01-01T22:00"):
            assert (
                await asyncio.to_thread(_post, acknowledge, {"answer": "proposed", "preferred": bad}) == 400
            )
        assert len(await stream_messages(js, "maint.reply.>")) == 1

        with Session(env) as session:
            zone = ZoneInfo(session.get(Tenant, tenant_id).timezone)
        day = (datetime.now(zone) + timedelta(days=10)).date()
        await tab.goto(propose)
        await tab.fill("#preferred", f"{day:%Y-%m-%d}T22:00")
        await tab.fill("#comment", "Our <b>release</b> runs that night.")
        # A change to the page while the reader types does not wipe what was typed.
        await cli_json(
            "book", "--title", "Switch firmware", "--impact", "degraded", "--start", "+5d",
            "--duration", "1h", "--hosts", "sto1-gpu-a2-01",
        )  # fmt: skip
        await expect(tab.locator("[data-live-note]")).to_contain_text("changed since you opened it")
        await expect(tab.locator("#comment")).to_have_value("Our <b>release</b> runs that night.")
        await tab.get_by_role("button", name="Ask for this time").click()
        # As for the acknowledgement: the page answers once the reporter has stored it.
        await expect(tab.locator(".answered")).to_contain_text(
            "request for another time is recorded", timeout=20_000
        )
        # A change now is told, and the answer stays: fetched again, the address would show the form.
        await cli_json(
            "book", "--title", "Cooling work", "--impact", "degraded", "--start", "+6d",
            "--duration", "1h", "--hosts", "sto1-gpu-a2-01",
        )  # fmt: skip
        await expect(tab.locator("[data-live-note]")).to_contain_text("changed since you opened it")
        await expect(tab.locator(".answered")).to_contain_text("request for another time is recorded")
        await browser.close()

        answers = await eventually(lambda: _proposed(window_id))
        [asked] = answers["proposed"]
        wanted = datetime(day.year, day.month, day.day, 22, 0, tzinfo=zone).astimezone(UTC)
        assert datetime.fromisoformat(asked["proposed_start"]) == wanted
        assert asked["comment"] == "Our <b>release</b> runs that night." and asked["via"] == "link"
        assert asked["contact"] == contact and asked["tenant_id"] == tenant_id

        # Ops are told, once.
        [told] = await eventually(lambda: inbox.of_kind("Answer"))
        assert window_id in told["Subject"] and "asks for another time" in told["Subject"]
        assert "Our <b>release</b> runs that night." in told.get_body(("plain",)).get_content()

        # The tenant's own page shows its answer, escaped.
        link = (await cli_json("tenant", "token", tenant_id))["page"]
        mine = await get(link)
        assert 'data-answer="proposed"' in mine.text and "&lt;b&gt;release&lt;/b&gt;" in mine.text

        # A new plan makes the answer stale: it no longer counts for the window as it now stands.
        await cli_json("reschedule", window_id, "--start", "+3d", "--duration", "2h")
        answers = await eventually(lambda: _stale(window_id))
        assert answers["proposed"] == [] and tenant_id in answers["no_answer"]
    assert len(inbox.of_kind("Answer")) == 1


def booked_view(booked: dict):
    return make_window(id=booked["id"], end=datetime.fromisoformat(booked["end"]))


async def _acknowledged(window_id: str, tenant_id: str) -> dict | None:
    answers = await _answers(window_id)
    return answers if tenant_id in answers["acknowledged"] else None


async def _proposed(window_id: str) -> dict | None:
    answers = await _answers(window_id)
    return answers if answers["proposed"] else None


async def _stale(window_id: str) -> dict | None:
    answers = await _answers(window_id)
    return answers if answers["stale"] else None


async def test_tenants_that_have_not_acknowledged_get_one_escalation(env, js, smtp, monkeypatch) -> None:
    inbox = smtp(Inbox())
    port = free_port()
    monkeypatch.setenv("FOREWARN_STATUS_PORT", str(port))
    monkeypatch.setenv("FOREWARN_STATUS_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("FOREWARN_ANSWER_SECRET", SECRET)
    monkeypatch.setenv("FOREWARN_REMINDERS", "")
    # Escalations fire 25 s after the booking: the acknowledgement below comes well before,
    # even on a machine busy with other tests.
    monkeypatch.setenv("FOREWARN_ESCALATE", "25s")
    services = ("scheduler", "impact", "notifier", "reporter", "statuspage")
    async with running(*services):
        outage = await cli_json("book", "--title", "Kernel update", "--impact", "outage",
                                "--start", "+50s", "--duration", "1h", "--hosts", "sto1-cmp-01")  # fmt: skip
        # No escalation for work that leaves resources up.
        await cli_json("book", "--title", "Fan swap", "--impact", "degraded",
                       "--start", "+50s", "--duration", "1h", "--hosts", "sto1-cmp-02")  # fmt: skip
        people = {t["id"]: t["contacts"] for t in (await cli_json("show", outage["id"]))["affected"]}
        invited = await eventually(lambda: len(_invitations(inbox, outage["id"])) == sum(people.values()))
        first = _invitations(inbox, outage["id"])[0]
        acked = _id(first).split(".")[1]
        [link, _] = LINK.findall(first.get_body(("plain",)).get_content())
        assert await asyncio.to_thread(_post, link, {"answer": "accepted"}) == 200
        await eventually(lambda: _acknowledged(outage["id"], acked))

        expected = sum(n for tenant, n in people.items() if tenant != acked)
        escalated = await eventually(
            lambda: len(_escalations(inbox)) >= expected and _escalations(inbox), timeout=45
        )
        await asyncio.sleep(2)  # a second one, to anyone, would be here by now
        escalated = _escalations(inbox)
        assert len(escalated) == expected and invited
        assert {_id(m).split(".")[0].lstrip("<") for m in escalated} == {outage["id"]}
        assert acked not in {_id(m).split(".")[1] for m in escalated}
        assert len({m["To"].addresses[0].addr_spec for m in escalated}) == expected
        body = escalated[0].get_body(("plain",)).get_content()
        assert LINK.search(body), "an escalation asks for the answer it is missing"


def _id(mail) -> str:
    # A header that fits on the line after its name is folded there whole, space and all.
    return mail["Message-ID"].strip()


def _invitations(inbox: Inbox, window_id: str) -> list:
    return [m for m in inbox.messages if _id(m).startswith(f"<{window_id}.") and ".scheduled." in _id(m)]


def _escalations(inbox: Inbox) -> list:
    return [m for m in inbox.messages if ".escalation-" in _id(m)]
