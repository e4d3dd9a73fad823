"""The status page on the real stack: its API contract, privacy, tenant links, live events, restarts."""

from __future__ import annotations

import asyncio
import json
import re
import time
from contextlib import AsyncExitStack

import pytest
import yaml
from icalendar import Calendar

from forewarn.schemas import subjects
from forewarn.services.platform.config import StartupError
from forewarn.services.statuspage import snapshot

from ..conftest import EXAMPLES
from .conftest import cli_json, eventually, run_cli, running
from .web import API, EventStream, api, get

pytestmark = pytest.mark.integration

ENDPOINTS = (
    "summary.json",
    "status.json",
    "components.json",
    "scheduled-maintenances.json",
    "scheduled-maintenances/upcoming.json",
    "scheduled-maintenances/active.json",
)
# Statuspage's public v2 field names and values (see the README's API section).
PAGE_FIELDS = {"id", "name", "url", "time_zone", "updated_at"}
MAINTENANCE_FIELDS = {
    "id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact", "shortlink",
    "started_at", "page_id", "incident_updates", "components", "scheduled_for", "scheduled_until",
}  # fmt: skip
UPDATE_FIELDS = {
    "id", "status", "body", "incident_id", "created_at", "updated_at", "display_at", "affected_components",
    "deliver_notifications",
}  # fmt: skip
AFFECTED_FIELDS = {"code", "name", "old_status", "new_status"}
COMPONENT_FIELDS = {
    "id", "name", "status", "created_at", "updated_at", "position", "description", "showcase", "start_date",
    "group_id", "page_id", "group", "only_show_if_degraded",
}  # fmt: skip
MAINTENANCE_STATUS = {"scheduled", "in_progress", "verifying", "completed"}
IMPACTS = {"none", "minor", "major", "critical", "maintenance"}
COMPONENT_STATUS = {
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
}
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$")


@pytest.fixture
def db_url(tmp_path) -> str:
    """The page keeps its state in the stream, not the store: SQLite suffices here.

    The token table is tested on both stores in tests/store/test_tokens.py.
    """
    return f"sqlite:///{tmp_path / 'forewarn.db'}"


@pytest.fixture
def status_env(env, monkeypatch):
    monkeypatch.setenv("FOREWARN_STATUS_PORT", "0")
    monkeypatch.setenv("FOREWARN_REMINDERS", "")
    return env


def _page_url(stack) -> str:
    return stack.running["statuspage"].address


def check_time(value) -> None:
    assert value is None or ISO.match(value), value


def check_component(component: dict) -> None:
    assert set(component) == COMPONENT_FIELDS
    assert component["status"] in COMPONENT_STATUS
    assert re.match(r"^[A-Z0-9]+ \w+", component["name"]), component["name"]
    check_time(component["created_at"])
    check_time(component["updated_at"])


def check_maintenance(m: dict) -> None:
    assert set(m) == MAINTENANCE_FIELDS
    assert m["status"] in MAINTENANCE_STATUS and m["impact"] in IMPACTS
    for field in (
        "created_at",
        "updated_at",
        "resolved_at",
        "started_at",
        "scheduled_for",
        "scheduled_until",
    ):
        check_time(m[field])
    assert m["incident_updates"], "every maintenance has at least its scheduling update"
    for update in m["incident_updates"]:
        assert set(update) == UPDATE_FIELDS and update["incident_id"] == m["id"]
        assert update["status"] in MAINTENANCE_STATUS
        for affected in update["affected_components"]:
            assert set(affected) == AFFECTED_FIELDS
            assert {affected["old_status"], affected["new_status"]} <= COMPONENT_STATUS
    for component in m["components"]:
        check_component(component)


def check_documents(docs: dict[str, dict]) -> None:
    """Every endpoint's exact field names and value sets."""
    for name, doc in docs.items():
        assert set(doc["page"]) == PAGE_FIELDS, name
    assert set(docs["summary.json"]) == {
        "page",
        "components",
        "incidents",
        "scheduled_maintenances",
        "status",
    }
    assert set(docs["status.json"]) == {"page", "status"}
    for doc in (docs["summary.json"], docs["status.json"]):
        assert set(doc["status"]) == {"indicator", "description"}
        assert doc["status"]["indicator"] in IMPACTS
    for component in docs["components.json"]["components"]:
        check_component(component)
    for name in (*ENDPOINTS[3:], "summary.json"):
        for m in docs[name]["scheduled_maintenances"]:
            check_maintenance(m)


async def all_documents(base: str) -> dict[str, dict]:
    return {name: await api(base, name) for name in ENDPOINTS}


def by_id(doc: dict, wid: str) -> dict | None:
    return next((m for m in doc["scheduled_maintenances"] if m["id"] == wid), None)


async def book(title: str, start: str, duration: str, hosts: str, impact: str = "outage") -> str:
    booked = await cli_json(
        "book",
        "--title",
        title,
        "--impact",
        impact,
        "--start",
        start,
        "--duration",
        duration,
        "--hosts",
        hosts,
    )
    return booked["id"]


async def test_api_follows_a_window_through_its_life(status_env, js) -> None:
    async with running("scheduler", "impact", "statuspage") as stack:
        base = _page_url(stack)
        check_documents(await all_documents(base))  # empty, but well-formed

        later_id = await book("OS migration", "+2h", "2h", "osl2-cmp-[01-02]", impact="degraded")
        dropped_id = await book("Firmware", "+3h", "1h", "sto2-cmp-01")
        await cli_json("cancel", dropped_id, "--reason", "vendor delay")
        running_id = await book("GPU swap", "+2s", "4s", "sto1-gpu-a2-[01-02]")

        upcoming = await api(base, "scheduled-maintenances/upcoming.json")
        assert {m["id"] for m in upcoming["scheduled_maintenances"]} >= {later_id}
        assert by_id(upcoming, dropped_id) is None, "a cancelled window leaves the upcoming list"
        later = by_id(upcoming, later_id)
        assert later["status"] == "scheduled" and later["impact"] == "minor"
        assert [c["name"] for c in later["components"]] == ["OSL2 Compute"]

        # In progress: active, and its component under maintenance.
        active = await eventually(lambda: _active(base, running_id), timeout=15, interval=0.2)
        assert active["status"] == "in_progress" and active["impact"] == "major"
        components = {c["name"]: c["status"] for c in (await api(base, "components.json"))["components"]}
        assert components["STO1 GPU"] == "under_maintenance" and components["OSL2 Compute"] == "operational"
        assert (await api(base, "status.json"))["status"]["indicator"] == "maintenance"
        started = active["incident_updates"][0]
        assert started["status"] == "in_progress"
        assert started["affected_components"] == [
            {
                "code": "sto1-gpu",
                "name": "STO1 GPU",
                "old_status": "operational",
                "new_status": "under_maintenance",
            }
        ]

        # Completed: resolved, and the component back to operational.
        done = await eventually(lambda: _with_status(base, running_id, "completed"), timeout=15, interval=0.2)
        assert done["resolved_at"] and [u["status"] for u in done["incident_updates"]] == [
            "completed", "in_progress", "scheduled",
        ]  # fmt: skip
        docs = await all_documents(base)
        check_documents(docs)
        assert not docs["scheduled-maintenances/active.json"]["scheduled_maintenances"]
        assert docs["status.json"]["status"] == {
            "indicator": "none",
            "description": "All Systems Operational",
        }
        assert {c["status"] for c in docs["components.json"]["components"]} == {"operational"}

        cancelled = by_id(docs["scheduled-maintenances.json"], dropped_id)
        assert cancelled["status"] == "completed" and cancelled["resolved_at"]
        assert "cancelled" in cancelled["incident_updates"][0]["body"]
        assert by_id(docs["summary.json"], later_id) and not by_id(docs["summary.json"], dropped_id)

        # The page shows all three, with the cancelled one marked as such.
        html = (await get(base + "/")).text
        for title in ("GPU swap", "OS migration", "Firmware"):
            assert title in html
        assert "Cancelled" in html and "Upcoming maintenance" in html
        # Called off, it never ran: listed apart, not among the completed.
        completed = html.split('id="past"', 1)[1].split("</section>", 1)[0]
        called_off = html.split('id="called-off"', 1)[1].split("</section>", 1)[0]
        assert "Firmware" in called_off and "Firmware" not in completed and "GPU swap" in completed
        detail = await get(f"{base}/windows/{running_id}")
        assert detail.status == 200 and "The maintenance is complete." in detail.text
        assert (await get(f"{base}/windows/mw-doesnotexist")).status == 404


async def _active(base: str, wid: str) -> dict | None:
    return by_id(await api(base, "scheduled-maintenances/active.json"), wid)


async def _with_status(base: str, wid: str, *statuses: str) -> dict | None:
    found = by_id(await api(base, "scheduled-maintenances.json"), wid)
    return found if found and found["status"] in statuses else None


def _private_words() -> set[str]:
    """Everything the public must never see: tenants, contacts, resources and host names."""
    inventory = yaml.safe_load((EXAMPLES / "inventory.yaml").read_text())
    words = set()
    for tenant in inventory["tenants"]:
        words |= {tenant["id"], tenant["name"]}
        words |= {c["email"] for c in tenant.get("contacts", [])}
        words |= {c["name"] for c in tenant.get("contacts", []) if c.get("name")}
    for resource in inventory["resources"]:
        words |= {resource["id"], resource["name"]}
    words |= {host["name"] for host in inventory["hosts"]}
    return words


async def test_public_responses_hold_no_tenant_data(status_env, js) -> None:
    async with running("scheduler", "impact", "statuspage") as stack:
        base = _page_url(stack)
        async with EventStream(base + "/events") as events:
            wid = await book("Rack move", "+2s", "2s", "sto1-cmp-[01-08],sto1-gpu-a2-[01-03]")
            seen = [await events.next()]
            await eventually(lambda: _with_status(base, wid, "completed"), timeout=15, interval=0.2)
            later = await book("Cooling work", "+2h", "1h", "sto2-cmp-[01-04]", impact="degraded")
            seen.append(await events.next())
        bodies = {f"event {n}": str(data) for n, data in enumerate(seen)}
        for path in (
            "/",
            f"/windows/{wid}",
            f"/windows/{later}",
            "/feed.atom",
            "/calendar.ics",
        ):
            page = await get(base + path)
            assert page.status == 200, path
            bodies[path] = page.text
        for name in ENDPOINTS:
            bodies[name] = (await get(base + API + name)).text
    private = _private_words()
    leaks = {(where, word) for where, body in bodies.items() for word in private if word in body}
    assert not leaks, sorted(leaks)[:10]
    # The feeds do carry the windows.
    assert "Rack move" in bodies["/feed.atom"] and "Cooling work" in bodies["/calendar.ics"]
    ics = Calendar.from_ical(bodies["/calendar.ics"])
    events_ = {str(e["UID"]): e for e in ics.walk("VEVENT")}
    assert set(events_) >= {f"{wid}@cloud.example.net", f"{later}@cloud.example.net"}
    assert not any("ATTENDEE" in e or "X-MAINTNOTE-ACCOUNT" in e for e in events_.values())


async def test_a_tenant_link_shows_its_own_resources_until_revoked(status_env, js, monkeypatch) -> None:
    async with running("scheduler", "impact", "statuspage") as stack:
        base = _page_url(stack)
        wid = await book("GPU swap", "+2h", "1h", "sto1-gpu-a2-01")
        # The page listens on port 0: a link from its bind address would read http://127.0.0.1:0/t/….
        unset = await run_cli("tenant", "token", "nyc-quant", "--json")
        assert unset.code == 2 and json.loads(unset.out)["reasons"][0]["field"] == "FOREWARN_STATUS_URL"
        monkeypatch.setenv("FOREWARN_STATUS_URL", "https://status.example.net")
        issued = await cli_json("tenant", "token", "nyc-quant")
        assert issued["page"].startswith("https://status.example.net/t/")
        assert issued["webcal"].startswith("webcal://status.example.net/t/")
        link = f"{base}/t/{issued['page'].rsplit('/', 1)[1]}"
        page = await eventually(lambda: _ok_with(link, "nyc-gpu-096"), timeout=10)
        assert "NYC Quant LLC" in page.text and "GPU swap" in page.text
        assert page.headers["cache-control"] == "private, no-store"
        # Another tenant's resources on other hosts are not there.
        assert "acme" not in page.text.lower()

        ics = Calendar.from_ical((await get(link + "/calendar.ics")).body)
        [event] = ics.walk("VEVENT")
        assert str(event["UID"]) == f"{wid}.nyc-quant@cloud.example.net"
        assert str(event["X-MAINTNOTE-OBJECT-ID"]) == "gpu-00096"
        assert "METHOD" not in ics and "ATTENDEE" not in event

        # A wrong token and a revoked one answer exactly as any unknown page does.
        unknown = await get(base + "/no/such/page")
        wrong = await get(base + "/t/" + "x" * 43)
        assert unknown.status == wrong.status == 404 and unknown.body == wrong.body
        again = await cli_json("tenant", "token", "nyc-quant")
        assert (await get(link)).status == 404, "a new token replaces the old one"
        link = f"{base}/t/{again['page'].rsplit('/', 1)[1]}"
        assert (await get(link)).status == 200
        assert (await cli_json("tenant", "revoke", "nyc-quant")) == {"tenant": "nyc-quant", "revoked": True}
        assert (await get(link)).status == 404 and (await get(link + "/calendar.ics")).status == 404

        bad = await run_cli("tenant", "token", "no-such-tenant")
        assert bad.code == 2 and "TENANT" in bad.err and "Traceback" not in bad.err


async def _ok_with(url: str, text: str):
    page = await get(url)
    return page if page.status == 200 and text in page.text else None


async def _arrival(events: EventStream) -> tuple[dict, float]:
    data = await events.next(timeout=10)
    return data, time.monotonic()


async def test_live_events_health_metrics_and_headers(status_env, js, monkeypatch) -> None:
    monkeypatch.setenv("FOREWARN_METRICS_PORT", "0")
    async with running("scheduler", "impact", "statuspage") as stack:
        base = _page_url(stack)
        async with EventStream(base + "/events") as events:
            arrival = asyncio.create_task(_arrival(events))
            wid = await book("Live", "+2h", "1h", "sto1-cmp-01")
            stored = time.monotonic()
            data, arrived = await asyncio.wait_for(arrival, 10)
            # The CLI returns once the window is stored; the page knows within a second of that.
            assert data["window"] == wid and arrived - stored < 1.0

        health = await get(base + "/health")
        assert health.status == 200 and health.json()["status"] == "ok"
        # Metrics name consumers and count notices: the metrics port has them, the public one none.
        assert (await get(base + "/metrics")).status == 404
        assert (await get(base + "/static/%00")).status == 404  # a NUL no path can hold: no 500
        metrics = (await get(stack.ops.address + "/metrics")).text
        assert "forewarn_statuspage_lag_messages 0.0" in metrics
        assert re.search(
            r'faststream_received_messages_total\{.*handler="maint.window.scheduled"\} [1-9]', metrics
        )
        assert 'destination="maint.timer.>"' in metrics, "per-window subjects count under their family"

        page = await get(base + "/")
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "no-referrer"
        assert "<script>" not in page.text and "style=" not in page.text
        assert not re.search(r'(src|href)="(https?:)?//', page.text), "nothing loads from another origin"

        # The events' documentation names commands, dead letters and ImpactResolved: the operator's
        # side serves it (/metrics's port), the public page neither serves nor links it.
        for path in ("/docs/asyncapi", "/docs/asyncapi.json"):
            assert (await get(base + path)).status == 404, path
        assert "/docs/" not in page.text


async def test_a_restarted_page_matches_one_that_never_stopped(status_env, js, monkeypatch) -> None:
    monkeypatch.setenv("FOREWARN_STATUS_URL", "https://status.example.net")
    async with AsyncExitStack() as stacks:
        await stacks.enter_async_context(running("scheduler", "impact"))
        steady = await stacks.enter_async_context(running("statuspage"))
        first = await book("Before the restart", "+2s", "2s", "sto1-cmp-01")
        async with running("statuspage") as restarted:
            # The window, at whichever step a loaded machine has reached in its few seconds.
            listed = ("scheduled", "in_progress", "completed")
            await eventually(lambda: _with_status(_page_url(restarted), first, *listed), timeout=10)
        # The second page is down while these happen.
        await eventually(
            lambda: _with_status(_page_url(steady), first, "completed"), timeout=15, interval=0.2
        )
        second = await book("During the restart", "+2h", "1h", "sto2-cmp-01")
        await cli_json("extend", second, "--by", "30m")
        third = await book("Called off", "+3h", "1h", "osl2-cmp-01")
        await cli_json("cancel", third, "--reason", "not needed")

        # The page that stopped stored its view; the next one reads only what came after it.
        saved = snapshot.load(status_env, subjects.VIEW_STREAM)
        assert saved is not None and saved.last_seq > 0
        async with running("statuspage") as restarted:
            await eventually(lambda: _healthy(_page_url(restarted)), timeout=15)
            await eventually(lambda: _same(_page_url(steady), _page_url(restarted)), timeout=10, interval=0.2)
            page = restarted.running["statuspage"]
            applied = page.metrics.registry.get_sample_value("forewarn_statuspage_events_applied_total")
            assert applied == page.view.last_seq - saved.last_seq > 0
            for path in ("/", f"/windows/{first}", f"/windows/{second}", f"/windows/{third}"):
                a, b = await get(_page_url(steady) + path), await get(_page_url(restarted) + path)
                assert a.status == b.status == 200 and a.text == b.text, path


async def _healthy(base: str) -> bool:
    return (await get(base + "/health")).status == 200


async def _same(a: str, b: str) -> bool:
    docs_a, docs_b = await all_documents(a), await all_documents(b)
    return docs_a == docs_b and bool(docs_a["scheduled-maintenances.json"]["scheduled_maintenances"])


async def test_a_taken_port_is_a_clear_error(status_env, js, monkeypatch) -> None:
    async with running("scheduler", "statuspage") as stack:
        port = _page_url(stack).rsplit(":", 1)[1]
        monkeypatch.setenv("FOREWARN_STATUS_PORT", port)
        with pytest.raises(StartupError, match=f"127.0.0.1:{port}.*FOREWARN_STATUS_PORT"):
            async with running("statuspage"):
                pass
