"""NATS users per service, from `forewarn nats-config`, on a real server: enough, and no more.

One run carries the whole pipeline with every service (and the CLI) logged in
as its own user, and an SMTP server that requires a password. It checks the
notices arrive exactly once, that no password reaches any log, that the status
page's user cannot publish a lifecycle event, and that a wrong password is refused.
"""

from __future__ import annotations

import asyncio
import json
import os

import nats
import nats.errors
import pytest

from forewarn.schemas import subjects
from forewarn.services.bus.accounts import new_password
from forewarn.services.bus.stream import declare_streams

from ..factories import make_window
from ..fleet import FOREWARN, make_fleet, stop_fleet
from ..integration.smtp import free_port
from .conftest import as_user, connect

pytestmark = pytest.mark.integration
SERVICES = ("scheduler", "impact", "notifier", "reporter", "statuspage")


async def test_only_the_scheduler_may_publish_lifecycle_events(server) -> None:
    admin = await connect(server, "admin")
    await declare_streams(admin.jetstream())
    event = json.dumps({"window": json.loads(make_window().model_dump_json())}).encode()
    for name in ("statuspage", "cli", "impact", "notifier", "reporter"):
        nc = await connect(server, name)
        with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
            await nc.jetstream().publish(subjects.SCHEDULED, event, timeout=1)
        await nc.close()
    scheduler = await connect(server, "scheduler")
    ack = await scheduler.jetstream().publish(subjects.SCHEDULED, event, timeout=5)
    await scheduler.close()
    info = await admin.jetstream().stream_info(subjects.STREAM, subjects_filter=subjects.SCHEDULED)
    assert info.state.subjects == {subjects.SCHEDULED: 1} and ack.seq == info.state.last_seq
    await admin.close()


async def test_a_wrong_password_is_refused(server, tmp_path) -> None:
    with pytest.raises(nats.errors.Error):
        await connect(server, "scheduler", password="fwwrong")
    env = os.environ | {
        "FOREWARN_NATS_URL": server.url,
        "FOREWARN_DATA_DIR": str(tmp_path / "data"),
        **as_user("cli", server.passwords | {"cli": "fwwrong"}),
    }
    proc = await asyncio.create_subprocess_exec(
        FOREWARN, "book", "--title", "x", "--impact", "outage", "--start", "+1h", "--duration", "1h",
        "--hosts", "sto1-cmp-01", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    # The server answered, and said no: that is what the operator is told, with what was used.
    assert proc.returncode == 1 and b"Traceback" not in err
    assert b"refused the login: FOREWARN_NATS_USER (" in err
    assert b"and FOREWARN_NATS_PASSWORD were used" in err


async def test_each_service_as_its_own_user_does_its_work_and_leaks_no_secret(
    server, tmp_path, capsys
) -> None:
    passwords = server.passwords
    mail_password = new_password()
    fleet = await make_fleet(
        tmp_path,
        capsys,
        server.url,
        mail_password=mail_password,
        FOREWARN_SMTP_USERNAME="forewarn",
        FOREWARN_SMTP_PASSWORD=mail_password,
        FOREWARN_STATUS_PORT=str(free_port()),
        **as_user("cli", passwords),
    )
    try:
        await fleet.start(
            *SERVICES,
            env={name: as_user(name, passwords) for name in SERVICES},
            args=("--log-level", "debug"),
        )
        wid = await fleet.book(start="+8s", duration="2s")
        report = await fleet.settle(wid)
    finally:
        await stop_fleet(fleet)
    duplicates, missing = fleet.counts(report, fault="per-service NATS users, SMTP AUTH")
    assert missing == 0 and duplicates == 0

    # No secret in any log, debug lines included.
    logs = {path.name: path.read_text(errors="replace") for path in fleet.tmp.glob("*.log")}
    assert set(logs) >= {f"{name}.log" for name in SERVICES}
    assert all("DEBUG" in logs[f"{name}.log"] for name in SERVICES)
    leaks = [
        (name, s[:6])
        for name, text in logs.items()
        for s in [*passwords.values(), mail_password]
        if s in text
    ]
    assert not leaks, leaks
