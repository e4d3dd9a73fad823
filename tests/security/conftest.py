"""A nats-server run as production runs it: forewarn's users, each with only its own rights.

`bus` is that server with every service running as its own user and a real SMTP
server counting: one for the whole package, so that each attack module pays for
starting it once.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import nats
import pytest
import pytest_asyncio

from forewarn.schemas import subjects
from forewarn.services.bus.accounts import ADMIN, USERS, new_password
from forewarn.services.bus.natsconf import server_config

from ..conftest import NatsServer
from ..fleet import Fleet, make_fleet, stop_fleet
from ..integration.smtp import free_port

STREAM_MAX_BYTES = 64 * 1024**2
# Signs the answer links in `bus`'s notices.
ANSWER_SECRET = "answer-links-secret-for-the-security-tests"
# The services that run as their own users in `bus`.
SERVICES = ("scheduler", "impact", "notifier", "reporter", "statuspage")


def production_server(folder: Path) -> NatsServer:
    """A started nats-server with the configuration `forewarn nats-config` writes, and its passwords."""
    passwords = {user.name: new_password() for user in (*USERS, ADMIN)}
    config = server_config(listen="127.0.0.1:4222", store_dir=str(folder / "js"))
    running = NatsServer(
        folder / "nats", config=config, env={user.env: passwords[user.name] for user in (*USERS, ADMIN)}
    )
    running.start()
    running.passwords = passwords
    return running


@pytest.fixture
def server(tmp_path: Path):
    running = production_server(tmp_path)
    yield running
    running.stop()


async def connect(server: NatsServer, name: str, password: str | None = None, **options):
    """Log in as forewarn-NAME; a refused login raises at once instead of retrying."""
    return await asyncio.wait_for(
        nats.connect(
            server.url,
            user=f"forewarn-{name}",
            password=password or server.passwords[name],
            inbox_prefix=subjects.inbox_prefix(f"forewarn-{name}"),
            allow_reconnect=False,
            connect_timeout=2,
            **options,
        ),
        timeout=5,
    )


def as_user(name: str, passwords: dict[str, str]) -> dict[str, str]:
    return {"FOREWARN_NATS_USER": f"forewarn-{name}", "FOREWARN_NATS_PASSWORD": passwords[name]}


@dataclass
class Bus:
    server: NatsServer
    fleet: Fleet

    async def login(self, name: str):
        """A connection as forewarn-NAME that remembers what the server refused it."""
        refusals: list[str] = []

        async def noted(error: Exception) -> None:
            refusals.append(str(error))

        nc = await connect(self.server, name, error_cb=noted)
        nc.refusals = refusals
        return nc

    async def book(self) -> str:
        """A window an hour ahead on all ten hosts: every tenant's two contacts are told."""
        code, out, err = await self.fleet.cli(
            "book", "--title", "Kernel update", "--impact", "outage", "--hosts", "sto1-cmp-[01-10]",
            "--start", "+1h", "--duration", "1h", "--allow-overlap", "--json",
        )  # fmt: skip
        assert code == 0, err
        window_id = json.loads(out)["id"]
        await self.mails(window_id, kind="scheduled", sequence=1)
        return window_id

    async def mails(self, window_id: str, *, kind: str, sequence: int, timeout: float = 60) -> None:
        """Wait until each contact got this window's notice of this kind once, and no other address any.

        Counted per window: another window's fan-out still under way is no business of this one's.
        """
        want = Counter({(window_id, c, kind, sequence): 1 for c in self.fleet.contacts})
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            mine = Counter({k: n for k, n in self.fleet.mail.handler.by_window.items() if k[0] == window_id})
            got = Counter({k: n for k, n in mine.items() if k[2:] == (kind, sequence)})
            if got == want:
                return
            assert asyncio.get_running_loop().time() < deadline, f"after {timeout}s: {got}"
            assert {rcpt for _, rcpt, *_ in mine} <= set(self.fleet.contacts), mine
            await asyncio.sleep(0.2)

    async def stored(self, stream: str, subject: str) -> int:
        admin = await connect(self.server, "admin")
        try:
            info = await admin.jetstream().stream_info(stream, subjects_filter=subject)
            return sum((info.state.subjects or {}).values())
        finally:
            await admin.close()

    async def consumer(self, stream: str, name: str):
        admin = await connect(self.server, "admin")
        try:
            return await admin.jetstream().consumer_info(stream, name)
        finally:
            await admin.close()


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def bus(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Bus]:
    folder: Path = tmp_path_factory.mktemp("attacks")
    server = production_server(folder)
    status_port = free_port()
    fleet = await make_fleet(
        folder,
        None,
        server.url,
        tenants=10,
        FOREWARN_STATUS_PORT=str(status_port),
        FOREWARN_STATUS_URL=f"http://127.0.0.1:{status_port}",
        FOREWARN_ANSWER_SECRET=ANSWER_SECRET,
        # Small, so that test_stream_limits.py's runaway reaches it in seconds.
        FOREWARN_STREAM_MAX_BYTES=str(STREAM_MAX_BYTES),
        **as_user("cli", server.passwords),
    )
    try:
        await fleet.start(*SERVICES, env={name: as_user(name, server.passwords) for name in SERVICES})
        yield Bus(server, fleet)
    finally:
        await stop_fleet(fleet)
        server.stop()
