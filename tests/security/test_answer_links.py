"""Answer links on the public page, with the status page's production login.

A form sent twice answers like the first time (it used to fail after 5 s: the
repeat was checked in a stream the page's login may not read), and the link of
a contact forewarn was told to forget is dead, although its signature holds.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from types import SimpleNamespace

import httpx
import pytest

from forewarn.schemas import subjects
from forewarn.services.answers.links import AnswerLinks

from .conftest import ANSWER_SECRET, Bus, as_user

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="package")]


async def _link(bus: Bus, window_id: str, tenant: str, contact: str) -> str:
    code, out, err = await bus.fleet.cli("show", window_id, "--json")
    assert code == 0, err
    shown = json.loads(out)
    window = SimpleNamespace(
        id=window_id, revision=shown["revision"], end=datetime.fromisoformat(shown["end"])
    )
    url = bus.fleet.env["FOREWARN_STATUS_URL"]
    return AnswerLinks(ANSWER_SECRET, url).links(window, tenant, contact)["acknowledge"]


async def _opened(client: httpx.AsyncClient, link: str, timeout: float = 10) -> None:
    """Wait until the page knows the window (it follows the view)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while (await client.get(link)).status_code != 200:
        assert asyncio.get_running_loop().time() < deadline, link
        await asyncio.sleep(0.2)


async def test_a_form_sent_twice_answers_like_the_first_time(bus: Bus) -> None:
    window_id = await bus.book()
    link = await _link(bus, window_id, "t000", "ops@t000.example")
    before = await bus.stored(subjects.STREAM, subjects.REPLY_RECEIVED)
    async with httpx.AsyncClient(timeout=10) as client:
        await _opened(client, link)
        first = await client.post(link, data={"answer": "accepted"})
        second = await client.post(link, data={"answer": "accepted"})
    assert first.status_code == second.status_code == 200, second.text
    assert second.elapsed.total_seconds() < 3
    assert await bus.stored(subjects.STREAM, subjects.REPLY_RECEIVED) == before + 1


async def test_a_forgotten_contacts_link_is_dead(bus: Bus) -> None:
    window_id = await bus.book()
    link = await _link(bus, window_id, "t001", "noc@t001.example")
    async with httpx.AsyncClient(timeout=10) as client:
        await _opened(client, link)
        admin = as_user("admin", bus.server.passwords)  # forgetting erases in every stream
        code, _, err = await bus.fleet.cli("contact", "forget", "noc@t001.example", "--json", env=admin)
        assert code == 0, err
        before = await bus.stored(subjects.STREAM, subjects.REPLY_RECEIVED)
        assert (await client.get(link)).status_code == 404
        assert (await client.post(link, data={"answer": "accepted"})).status_code == 404
    assert await bus.stored(subjects.STREAM, subjects.REPLY_RECEIVED) == before
    # The other attacks share this fleet: the inventory lists the contact again.
    code, _, err = await bus.fleet.cli("inventory", "load", str(bus.fleet.tmp / "inventory.yaml"))
    assert code == 0, err
