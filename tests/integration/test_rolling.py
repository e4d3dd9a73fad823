"""A rolling window end to end: 12 hosts in 6 batches, each tenant told its own slots and its own all-clear.

Real parts: nats-server with JetStream, an SMTP server, SQLite, the CLI as
ops run it, and Chromium on the status page. Slots are six seconds long and
the slack four, so the test runs the whole night's work in about forty seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
from icalendar import Calendar
from playwright.async_api import async_playwright, expect
from sqlalchemy import select

from forewarn.services.inventory.models import Resource, TenantContact

from .conftest import FLAGS, cli_json, eventually, run_cli, running
from .smtp import Inbox
from .web import api

pytestmark = pytest.mark.integration
SLOT = 6
LATE = 7  # seconds batch 3 runs past its slot: more than the slack of 4
HOSTS = [f"sto1-cmp-{n:02d}" for n in range(1, 13)]


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'forewarn.db'}"


def _batches_of(engine) -> dict[str, set[int]]:
    """Each affected tenant, with the batches (two hosts each, in order) its servers sit in."""
    found: dict[str, set[int]] = {}
    with engine.connect() as conn:
        for tenant, host in conn.execute(
            select(Resource.tenant, Resource.host).where(Resource.host.in_(HOSTS))
        ):
            found.setdefault(tenant, set()).add(HOSTS.index(host) // 2 + 1)
    return found


def _contacts(engine) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for tenant, email in conn.execute(select(TenantContact.tenant_id, TenantContact.email)):
            found.setdefault(tenant, []).append(email)
    return found


def _kinds(inbox: Inbox) -> list[tuple[str, str, object]]:
    """(tenant, ledger kind, message) for every mail: the Message-ID says both."""
    out = []
    for message in inbox.messages:
        _, tenant, kind, *_ = message["Message-ID"].strip().strip("<>").split(".")
        out.append((tenant, kind, message))
    return out


def _event(message):
    [ics] = [p for p in message.iter_attachments() if p.get_filename() == "invite.ics"]
    return Calendar.from_ical(ics.get_payload(decode=True)).walk("VEVENT")[0]


async def test_each_tenant_is_told_its_own_slots_and_its_own_all_clear(
    env, js, smtp, chromium, monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("FOREWARN_SLOT_SLACK", "4s")
    monkeypatch.setenv("FOREWARN_REMINDERS", "")
    monkeypatch.setenv("FOREWARN_STATUS_PORT", "0")
    inbox = smtp(Inbox())
    batches_of = _batches_of(env)
    emails = _contacts(env)
    told = {t: emails.get(t, []) for t in batches_of}
    assert batches_of["tallinn-fintech"] == {1, 5}  # the tenant in two batches far apart

    def mails(kind: str) -> Counter:
        return Counter(t for t, k, _ in _kinds(inbox) if k == kind)

    def expected(tenants) -> Counter:
        return Counter({t: len(told[t]) for t in tenants if told[t]})

    async def progress(*args: str) -> dict:
        return await cli_json("progress", booked["id"], *args)

    async with running("scheduler", "impact", "notifier", "reporter", "statuspage") as stack:
        booked = await cli_json(
            "book", "--title", "Kernel update, host by host", "--impact", "outage",
            "--hosts", "sto1-cmp-[01-12]", "--batch-size", "2", "--per-batch", f"{SLOT}s", "--start", "+5s",
        )  # fmt: skip
        begun = time.monotonic()
        assert [b["hosts"] for b in booked["batches"]][4] == ["sto1-cmp-09", "sto1-cmp-10"]
        await eventually(lambda: mails("scheduled") == expected(batches_of))
        slots = {b["number"]: b for b in booked["batches"]}
        for tenant, _, message in _kinds(inbox):
            event = _event(message)
            mine = sorted(batches_of[tenant])
            # The invitation covers the tenant's own batches, not the whole window.
            assert event["DTSTART"].dt.isoformat().replace("+00:00", "Z") == slots[mine[0]]["start"]
            assert event["DTEND"].dt.isoformat().replace("+00:00", "Z") == slots[mine[-1]]["end"]
            text = message.get_body(("plain",)).get_content()
            assert all(f"{n}:" in text for n in mine), text
            assert "6 batches" in str(event["DESCRIPTION"])
            if tenant == "tallinn-fintech":
                assert "- batch 1:" in str(event["DESCRIPTION"]) and "- batch 5:" in str(event["DESCRIPTION"])
                assert "- batch 2:" not in str(event["DESCRIPTION"])

        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(chromium), args=FLAGS)
            page = await browser.new_page()
            await page.goto(stack.running["statuspage"].address + "/")
            card = page.locator(f"article:has(a[href='/windows/{booked['id']}'])")
            await expect(card).to_contain_text("In progress", timeout=15000)
            await expect(card).to_contain_text("0 of 12 hosts done")

            cleared: set[str] = set()
            done_at: dict[int, datetime] = {}  # when each batch was reported done
            for batch in (1, 2):
                await progress("--batch", str(batch), "--done")
                done_at[batch] = datetime.now(UTC)
                cleared |= {t for t, b in batches_of.items() if max(b) == batch}
                await eventually(lambda told=frozenset(cleared): mails("cleared") == expected(told))
            assert cleared == {"baltic-retail"}  # its last host was done in batch 2: told now, nobody else
            await expect(card).to_contain_text("4 of 12 hosts done")
            active = await api(stack.running["statuspage"].address, "scheduled-maintenances/active.json")
            [public] = active["scheduled_maintenances"]
            assert public["progress"] == {"hosts_done": 4, "hosts": 12, "batches_done": 2, "batches": 6}
            assert public["incident_updates"][0]["body"] == "4 of 12 hosts done (2 of 6 batches)."
            assert public["scheduled_until"][:19] == booked["end"][:19]  # the umbrella, as booked
            await page.screenshot(path=tmp_path / "rolling.png", full_page=True)

            # Batch 3 runs LATE seconds past its slot: batches 4-6 move past the slack, and only
            # their tenants are sent the new slot.
            await asyncio.sleep(max(0.0, 5 + 3 * SLOT + LATE - (time.monotonic() - begun)))
            shown = await progress("--batch", "3", "--done")
            done_at[3] = datetime.now(UTC)
            moved = {t for t, b in batches_of.items() if b & {4, 5, 6}}
            assert set(shown["moved"]) == moved
            await eventually(lambda: mails("updated") == expected(moved))
            cleared |= {t for t, b in batches_of.items() if max(b) == 3}
            await eventually(lambda: mails("cleared") == expected(cleared))
            for tenant, kind, message in _kinds(inbox):
                if kind == "updated":
                    first = next(
                        b for b in shown["batches"] if b["number"] == min(batches_of[tenant] & {4, 5, 6})
                    )
                    assert _event(message)["SEQUENCE"] == shown["revision"]
                    assert first["start"] > slots[first["number"]]["start"]

            for batch in (4, 5, 6):
                await progress("--batch", str(batch), "--done")
                done_at[batch] = datetime.now(UTC)
                cleared |= {t for t, b in batches_of.items() if max(b) == batch}
                await eventually(lambda told=frozenset(cleared): mails("cleared") == expected(told))
            await expect(card).to_contain_text("Completed", timeout=10000)
            await expect(card).to_contain_text("12 of 12 hosts done")
            await browser.close()

        report = await eventually(lambda: _report(booked["id"]))
        await asyncio.sleep(2)
    assert report["outcome"] == "completed"
    # Every tenant had its all-clear when its last host was done: the completion tells nobody again.
    assert mails("completed") == Counter()
    assert mails("cleared") == expected(batches_of)
    for tenant, kind, message in _kinds(inbox):
        if kind == "cleared":
            event = _event(message)
            assert str(event["X-MAINTNOTE-STATUS"]) == "COMPLETED" and str(event["STATUS"]) == "CONFIRMED"
            assert event["UID"].startswith(f"{booked['id']}.{tenant}@")
            # When its hosts were down: within the window, up to its last batch reported done
            # (iCalendar keeps whole seconds), not the umbrella as booked.
            assert event["DTSTART"].dt >= datetime.fromisoformat(booked["start"]).replace(microsecond=0)
            assert event["DTEND"].dt <= done_at[max(batches_of[tenant])]


async def _report(window_id: str) -> dict | None:
    import json

    result = await run_cli("report", window_id, "--json")
    return json.loads(result.out) if result.code == 0 else None
