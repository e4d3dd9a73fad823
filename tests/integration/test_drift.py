"""Drift end to end: the inventory moves under a scheduled window, and only who joined or left is told."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest
from icalendar import Calendar
from sqlalchemy import select, update

from forewarn.schemas import subjects
from forewarn.schemas.inventory import InventoryChanged, ServerChange
from forewarn.services.inventory.models import Resource, TenantContact

from .conftest import cli_json, eventually, run_cli, running
from .smtp import Inbox

pytestmark = pytest.mark.integration
HOST = "sto1-cmp-01"


def _calendar(message) -> Calendar:
    [ics] = [p for p in message.iter_attachments() if p.get_filename() == "invite.ics"]
    return Calendar.from_ical(ics.get_payload(decode=True))


def _contacts(engine, tenant: str) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(TenantContact.email).where(TenantContact.tenant_id == tenant)))


def _on(engine, host: str) -> dict[str, list[str]]:
    mine: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for rid, tenant in conn.execute(select(Resource.id, Resource.tenant).where(Resource.host == host)):
            mine.setdefault(tenant, []).append(rid)
    return mine


async def _moved(jsc, engine, ids: list[str], source: str, target: str) -> None:
    """Move resources in the store and say so on the bus, as the inventory service does."""
    with engine.begin() as conn:
        conn.execute(update(Resource).where(Resource.id.in_(ids)).values(host=target))
    event = InventoryChanged(
        source="file",
        cause="sync",
        hosts=[source, target],
        changes=[ServerChange(id=i, change="moved", detail=f"{source} → {target}") for i in ids],
    )
    await jsc.publish(
        subjects.INVENTORY_CHANGED,
        event.model_dump_json().encode(),
        headers={"Nats-Msg-Id": f"test-moved-{target}-{'-'.join(ids)}", "content-type": "application/json"},
    )


async def test_who_joins_or_leaves_a_scheduled_window_is_told_and_nobody_else(
    env, js, smtp, monkeypatch
) -> None:
    monkeypatch.setenv("FOREWARN_DRIFT_DEBOUNCE", "1s")
    inbox = smtp(Inbox())
    before = _on(env, HOST)
    leaver = sorted(before)[0]
    newcomer = next(t for t in sorted(_on(env, "sto2-cmp-01")) if t not in before and _contacts(env, t))
    async with running("scheduler", "impact", "notifier", "reporter"):
        booked = await cli_json(
            "book", "--title", "Kernel update", "--impact", "outage", "--hosts", HOST,
            "--start", "+2h", "--duration", "1h",
        )  # fmt: skip
        told = Counter(e for t in before for e in _contacts(env, t))
        await eventually(lambda: len(inbox.messages) >= sum(told.values()))
        first = {m["To"].addresses[0].addr_spec: m for m in inbox.messages}

        # Two drifts, each told on its own.
        await _moved(js, env, before[leaver], HOST, "sto2-cmp-12")
        await eventually(lambda: len(inbox.messages) >= sum(told.values()) + len(_contacts(env, leaver)))
        await _moved(js, env, _on(env, "sto2-cmp-01")[newcomer][:1], "sto2-cmp-01", HOST)
        expected = Counter(_contacts(env, leaver) + _contacts(env, newcomer))
        await eventually(lambda: len(inbox.messages) >= sum(told.values()) + sum(expected.values()))
        await asyncio.sleep(3)  # nobody else, even a moment later
        drifted = inbox.messages[sum(told.values()) :]
        assert Counter(m["To"].addresses[0].addr_spec for m in drifted) == expected
        for message in drifted:
            calendar = _calendar(message)
            event = calendar.walk("VEVENT")[0]
            assert event["SEQUENCE"] == 1
            if message["To"].addresses[0].addr_spec in _contacts(env, leaver):
                earlier = _calendar(first[message["To"].addresses[0].addr_spec]).walk("VEVENT")[0]
                assert calendar.get("METHOD", "CANCEL") == "CANCEL" and event["STATUS"] == "CANCELLED"
                assert event["UID"] == earlier["UID"]
            else:
                assert calendar.get("METHOD", "REQUEST") == "REQUEST" and event["STATUS"] == "CONFIRMED"
                assert event["UID"].startswith(f"{booked['id']}.{newcomer}@")

    # Down: the newcomer's server leaves meanwhile. After the restart, it is told.
    told = len(inbox.messages)
    await _moved(js, env, _on(env, HOST)[newcomer], HOST, "sto2-cmp-01")
    async with running("scheduler", "impact", "notifier", "reporter"):
        await eventually(lambda: len(inbox.messages) >= told + len(_contacts(env, newcomer)))
        await asyncio.sleep(3)
        assert Counter(m["To"].addresses[0].addr_spec for m in inbox.messages[told:]) == Counter(
            _contacts(env, newcomer)
        )
        await cli_json("cancel", booked["id"], "--reason", "Not needed after all")
        report = await eventually(lambda: _report(booked["id"]))
    assert [(c["tenant_id"], c["change"]) for c in report["tenant_changes"]] == [
        (leaver, "left"),
        (newcomer, "joined"),
        (newcomer, "left"),
    ]


async def _report(window_id: str) -> dict | None:
    result = await run_cli("report", window_id, "--json")
    return json.loads(result.out) if result.code == 0 else None
