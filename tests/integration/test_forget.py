"""Forgetting a contact after a window's whole life: the address is nowhere forewarn keeps it."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select, text
from sqlmodel import Session

from forewarn.schemas import subjects
from forewarn.schemas.answers import Answer, ReplyReceived
from forewarn.schemas.impact import ImpactResolved
from forewarn.schemas.timers import ReminderDue
from forewarn.services.inventory.models import Resource, TenantContact
from forewarn.services.statuspage.tokens import issue

from .conftest import cli_json, eventually, run_cli, running, stream_messages
from .smtp import Inbox
from .web import get

pytestmark = pytest.mark.integration

HOST = "sto1-cmp-01"


class Refusing(Inbox):
    """Refuses one mailbox for good, naming it in the reply as many servers do."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused

    async def handle_DATA(self, server, session, envelope) -> str:
        if envelope.rcpt_tos[0].lower() == self.refused.lower():
            return f"550 5.1.1 <{envelope.rcpt_tos[0]}>: mailbox unavailable"
        return await super().handle_DATA(server, session, envelope)


def _tenant_on(engine, host: str) -> str:
    with Session(engine) as session:
        return session.exec(select(Resource.tenant).where(Resource.host == host).limit(1)).one()[0]


async def _acknowledged(window_id: str, tenant: str) -> bool:
    return tenant in (await cli_json("show", window_id))["answers"]["acknowledged"]


def _everything_in(engine) -> str:
    """Every row of every table, as text."""
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as conn:
        return "\n".join(str(row) for table in tables.sorted_tables for row in conn.execute(table.select()))


def _files_holding(folder: Path, needle: str) -> list[str]:
    wanted = needle.lower().encode()
    return [str(p) for p in folder.rglob("*") if p.is_file() and wanted in p.read_bytes().lower()]


def _pg_files_holding(engine, needle: str) -> list[str]:
    """The files of the public schema's tables, indexes and TOAST that hold the text, after a checkpoint."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("CHECKPOINT")
        home = Path(conn.exec_driver_sql("SHOW data_directory").scalar())
        paths = conn.execute(text(
            "SELECT pg_relation_filepath(c.oid) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') "
            "UNION SELECT pg_relation_filepath(c.reltoastrelid) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.reltoastrelid <> 0"
        )).scalars().all()  # fmt: skip
    if not os.access(home, os.R_OK):
        pytest.skip(f"PostgreSQL's data directory {home} is not readable here: its files cannot be searched")
    files = [f for rel in paths if rel for f in home.glob(rel + "*")]
    assert files, "found none of the store's files"
    wanted = needle.lower().encode()
    return [str(f) for f in files if wanted in f.read_bytes().lower()]


async def test_a_forgotten_contact_is_nowhere_after_a_window_s_whole_life(
    env, js, smtp, nats_server, db_url, monkeypatch
) -> None:
    monkeypatch.setenv("FOREWARN_STATUS_PORT", "0")
    # Mixed case, as people type it; forewarn finds every spelling.
    address = f"Forget.Me.{secrets.token_hex(4)}@Customer.example"
    tenant = _tenant_on(env, HOST)
    with Session(env) as session:
        session.add(TenantContact(tenant_id=tenant, email=address, name="Forget Me"))
        session.commit()
    inbox = smtp(Refusing(address))
    async with running("scheduler", "impact", "notifier", "reporter", "statuspage") as stack:
        ended = await cli_json("book", "--title", "Kernel update", "--impact", "outage",
                               "--start", "+2s", "--duration", "2s", "--hosts", HOST)  # fmt: skip
        live = await cli_json("book", "--title", "Disk swap", "--impact", "outage",
                              "--start", "+4d", "--duration", "1h", "--hosts", HOST)  # fmt: skip
        await eventually(lambda: stream_messages(js, subjects.REPORTS), timeout=30)
        timers = subjects.reminder_timers(live["id"])
        await eventually(lambda: stream_messages(js, timers, subjects.REMINDER_STREAM))
        before = await stream_messages(js, subjects.NOTICE_FAILED)
        assert before and all(address in json.loads(m.data)["reason"] for m in before)
        # The person had acknowledged the live window, as the status page's form records it.
        answer = ReplyReceived(
            reply_id="forgetme0001", window_id=live["id"], revision=1, tenant_id=tenant, contact=address,
            answer=Answer.ACCEPTED, via="link",
        )  # fmt: skip
        await js.publish(subjects.REPLY_RECEIVED, answer.model_dump_json().encode())
        await eventually(lambda: _acknowledged(live["id"], tenant))
        delivered = len(inbox.messages)

        forgotten = await cli_json("contact", "forget", address.upper())
        [done] = forgotten
        assert done["tenants"] == [tenant] and done["ledger_rows"] >= 3
        assert done["erased"][subjects.NOTICE_FAILED] == len(before)
        assert done["erased"][subjects.IMPACT_RESOLVED] >= 4  # each of both windows' changes
        assert done["answers"] == 1 and done["erased"][subjects.REPLY_RECEIVED] == 1
        assert done["rewritten"] == {
            subjects.IMPACT_RESOLVED: 1,
            subjects.REPORT_PUBLISHED: 1,
            subjects.REPLY_RECEIVED: 1,
        }

        # The live window's reminders move onto its new impact message, which names the others still.
        async def moved() -> bool:
            for timer in await stream_messages(js, timers, subjects.REMINDER_STREAM):
                seq = ReminderDue.model_validate_json(timer.data).impact_seq
                try:
                    stored = await js.get_msg(subjects.STREAM, seq)
                except Exception:
                    return False
            return address.lower().encode() not in stored.data.lower()

        await eventually(moved, timeout=15)
        copy = ImpactResolved.model_validate_json(
            (await stream_messages(js, subjects.IMPACT_RESOLVED))[-1].data
        )
        assert copy.window.id == live["id"] and copy.tenants[0].contacts
        page = stack.running["statuspage"].address
        token = issue(env, tenant)
        shown = [
            (await get(page + path)).text
            for path in ("/", f"/windows/{ended['id']}", "/api/v2/summary.json", "/feed.atom",
                         "/api/v2/scheduled-maintenances.json", "/calendar.ics", f"/t/{token}",
                         f"/t/{token}/calendar.ics")
        ]  # fmt: skip
        for args in (("show", ended["id"]), ("show", live["id"]), ("report", ended["id"]), ("list",),
                     ("dlq", "list"), ("inventory", "show")):  # fmt: skip
            result = await run_cli(*args, "--json")
            assert result.code == 0, (args, result.err)
            shown.append(result.out)
        assert not [s for s in shown if address.lower() in s.lower()]
        assert len(inbox.messages) == delivered, "forgetting mailed someone"

        again = await cli_json("contact", "forget", address)
        assert again[0]["tenants"] == [] and again[0]["ledger_rows"] == 0 and not again[0]["erased"]

    # Nowhere on disk or in the database: the store, its files, the streams' files.
    assert address.lower() not in _everything_in(env).lower()
    if db_url.startswith("sqlite"):
        assert not _files_holding(Path(db_url.removeprefix("sqlite:///")).parent, address)
    else:
        assert not _pg_files_holding(env, address)
    assert not _files_holding(nats_server.workdir, address)


async def test_forgetting_a_tenant_forgets_every_address_it_lists(env, js) -> None:
    tenant = _tenant_on(env, HOST)
    with Session(env) as session:
        listed = list(session.scalars(select(TenantContact.email).where(TenantContact.tenant_id == tenant)))
    assert listed
    async with running("scheduler"):
        done = await cli_json("tenant", "forget", tenant)
        unknown = await run_cli("tenant", "forget", "no-such-tenant")
        bad = await run_cli("contact", "forget", "not an address")
    assert sorted(d["address"] for d in done) == sorted(listed)
    assert all(d["tenants"] == [tenant] for d in done)
    with Session(env) as session:
        assert not list(session.scalars(select(TenantContact.email).where(TenantContact.tenant_id == tenant)))
    assert unknown.code == 2 and "TENANT" in unknown.err and "Traceback" not in unknown.err
    assert bad.code == 2 and "EMAIL" in bad.err and "Traceback" not in bad.err
