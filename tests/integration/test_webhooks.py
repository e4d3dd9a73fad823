"""Webhooks to a real HTTP receiver: Standard Webhooks signatures, CloudEvents bodies, JetStream retries.

The receiver verifies every delivery with the `standardwebhooks` reference
library and parses it with the CloudEvents SDK. Retries survive a restart of
the notifier; 410 disables an endpoint; 429's Retry-After and a 3xx are
handled as the spec says; a private address is refused; and each tenant's
receiver sees only that tenant.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http_event
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlmodel import Session, select
from standardwebhooks.webhooks import Webhook

from forewarn.services.webhooks.store import WebhookEndpoint

from .conftest import cli_json, eventually, run_cli, running
from .receiver import Receiver
from .smtp import Inbox

pytestmark = pytest.mark.integration

HOST = "sto1-cmp-01"  # baltic-retail, gotland-energy, nordlys-ai, nyc-quant, uppsala-genomics


def _verified(headers: dict[str, str], body: bytes, *secrets: str):
    """The CloudEvent, once the signature checks out with each secret given."""
    for secret in secrets:
        Webhook(secret).verify(body, headers)
    return from_http_event(HTTPMessage(headers=headers, body=body))


@pytest.fixture
def receiver():
    ok = [(200, {})]
    server = Receiver(
        {
            "/flaky": [(500, {}), (500, {}), (200, {})],
            "/ok": ok,
            "/gone": [(410, {})],
            "/busy": [(429, {"retry-after": "1"}), (200, {})],
            "/moved": [(302, {"location": "http://127.0.0.1:9/elsewhere"}), (200, {})],
        }
    )
    yield server
    server.close()


async def test_webhooks_are_signed_retried_through_a_restart_and_kept_to_their_tenant(
    env, js, smtp, receiver, monkeypatch
) -> None:
    smtp(Inbox())
    monkeypatch.setenv("FOREWARN_REMINDERS", "")
    monkeypatch.setenv("FOREWARN_WEBHOOK_RETRIES", "2s,2s,2s")
    # A private address is refused unless allowed, and the tests allow loopback only.
    for url in ("http://10.1.2.3/hook", "http://169.254.169.254/latest/meta-data", receiver.url("/ok")):
        refused = await run_cli("webhook", "add", "gotland-energy", url, "--json")
        assert refused.code == 2 and "FOREWARN_WEBHOOK_ALLOW" in refused.out, refused.out
    monkeypatch.setenv("FOREWARN_WEBHOOK_ALLOW", "127.0.0.0/8")
    refused = await run_cli("webhook", "add", "gotland-energy", "http://10.1.2.3/hook", "--json")
    assert refused.code == 2 and "10.1.2.3" in refused.out
    # Secrets are sealed at rest with the operator's key: without one, no webhook is added.
    refused = await run_cli("webhook", "add", "gotland-energy", receiver.url("/ok"), "--json")
    assert refused.code == 1 and "FOREWARN_SECRET_KEY: not set" in refused.out, refused.out
    monkeypatch.setenv("FOREWARN_SECRET_KEY", Fernet.generate_key().decode())

    endpoints = {
        path: await cli_json("webhook", "add", tenant, receiver.url(path))
        for tenant, path in (
            ("baltic-retail", "/flaky"),
            ("gotland-energy", "/ok"),
            ("nordlys-ai", "/gone"),
            ("nyc-quant", "/busy"),
            ("uppsala-genomics", "/moved"),
        )
    }
    assert all(e["secret"].startswith("whsec_") for e in endpoints.values())
    with Session(env) as session:
        stored = [row.secret for row in session.exec(select(WebhookEndpoint))]
    assert len(stored) == 5 and all(s.startswith("fernet:") for s in stored)
    assert not {e["secret"] for e in endpoints.values()} & {s for s in stored}
    assert all(e["secret"].encode() not in _stored_bytes(env) for e in endpoints.values())
    listed = await cli_json("webhook", "list")
    assert "secret" not in json.dumps(listed) and len(listed) == 5

    async with running("scheduler", "impact", "notifier"):
        booked = await cli_json("book", "--title", "Kernel update", "--impact", "outage",
                                "--start", "+1d", "--duration", "2h", "--hosts", HOST)  # fmt: skip
        await eventually(lambda: receiver.got["/flaky"] and receiver.got["/ok"])
    # The notifier is down while the flaky receiver's next attempt is due.
    await asyncio.sleep(3)
    async with running("scheduler", "impact", "notifier"):
        await eventually(lambda: len(receiver.got["/flaky"]) >= 3, timeout=30)
        await eventually(
            lambda: (
                len(receiver.got["/busy"]) >= 2 and len(receiver.got["/moved"]) >= 2 and receiver.got["/gone"]
            )  # its one attempt may come last of all
        )
        log = {d["endpoint"]: d for d in await cli_json("webhook", "deliveries")}

        # Tenant by tenant: signed, a CloudEvent, that tenant alone.
        for path, endpoint in endpoints.items():
            for headers, body in receiver.got[path]:
                event = _verified(headers, body, endpoint["secret"])
                assert event.get_type() == "net.example.cloud.maintenance.scheduled"
                assert event.get_subject() == booked["id"] and event.get_id() == headers["webhook-id"]
                data = event.get_data()
                assert data["tenant"]["id"] == endpoint["tenant"]
                others = [e["tenant"] for e in endpoints.values() if e["tenant"] != endpoint["tenant"]]
                assert not [t for t in others if t.encode() in body], f"{path} saw another tenant"
                assert "contacts" not in data["tenant"] and "@" not in body.decode()
        assert len(receiver.got["/ok"]) == 1 and log[endpoints["/ok"]["id"]]["state"] == "delivered"
        # 500, 500, then 200 across the restart: accepted once, after three attempts.
        assert len(receiver.got["/flaky"]) == 3
        assert len({h["webhook-id"] for h, _ in receiver.got["/flaky"]}) == 1
        assert log[endpoints["/flaky"]["id"]]["state"] == "delivered"
        assert log[endpoints["/flaky"]["id"]]["attempts"] == 3
        # 410 disables the endpoint after its one attempt.
        assert len(receiver.got["/gone"]) == 1 and log[endpoints["/gone"]["id"]]["state"] == "failed"
        disabled = next(e for e in await cli_json("webhook", "list") if e["id"] == endpoints["/gone"]["id"])
        assert disabled["disabled"]
        # A redirect is not followed: it is a failed attempt, then the next one succeeds.
        assert log[endpoints["/moved"]["id"]]["state"] == "delivered"
        assert log[endpoints["/moved"]["id"]]["attempts"] == 2
        assert log[endpoints["/busy"]["id"]]["state"] == "delivered"

        # A rotated secret: both sign until the overlap ends, so either verifies.
        rotated = await cli_json("webhook", "rotate", endpoints["/ok"]["id"])
        await cli_json("reschedule", booked["id"], "--start", "+2d", "--duration", "2h")
        await eventually(lambda: len(receiver.got["/ok"]) == 2)
        headers, body = receiver.got["/ok"][1]
        assert len(headers["webhook-signature"].split()) == 2
        _verified(headers, body, endpoints["/ok"]["secret"], rotated["secret"])
        assert _verified(headers, body, rotated["secret"]).get_type().endswith(".rescheduled")
        assert len(receiver.got["/gone"]) == 1, "a disabled endpoint got more"

        # A replay sends the same delivery again, under its own webhook-id.
        first = log[endpoints["/ok"]["id"]]["id"]
        await cli_json("webhook", "replay", first)
        await eventually(lambda: len(receiver.got["/ok"]) == 3)
        assert receiver.got["/ok"][2][0]["webhook-id"] == receiver.got["/ok"][0][0]["webhook-id"] == first


def _stored_bytes(engine) -> bytes:
    """What a copy of the store holds: the SQLite file and its WAL, or PostgreSQL's rows as text."""
    if engine.dialect.name == "sqlite":
        path = Path(engine.url.database)
        files = [str(p) for p in (path, path.with_name(path.name + "-wal")) if p.exists()]
        # Read by another process: closing any descriptor of the database in this one would
        # drop the SQLite locks its engine holds (POSIX locks are per process).
        return subprocess.run(["cat", *files], capture_output=True, check=True).stdout
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT * FROM webhook_endpoint")).all()).encode()
