"""The services as OS processes (`forewarn run NAME` each), with a real SMTP server counting.

A fleet books one window that reaches 500 contacts, lets it run to completion,
and counts at the SMTP server: every expected (contact, kind, sequence) exactly
once, nothing missing, and `forewarn report` agreeing with what arrived.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .conftest import NatsServer
from .faults.cluster import NatsCluster
from .integration.smtp import free_port

FOREWARN = str(Path(sys.executable).with_name("forewarn"))
ROOT = Path(__file__).resolve().parents[2]
HOSTS = "sto1-cmp-[01-10]"
TENANTS = 250  # two contacts each: 500 contacts
CONCURRENCY = 8
# Notices between claim and ledger write at once: the notifier composes ahead of its SMTP
# slots, so a crash can catch this many past the server's 250 and before the ledger write.
IN_FLIGHT = 2 * CONCURRENCY


def write_inventory(path: Path, tenant_count: int = TENANTS) -> list[str]:
    """Tenants with two contacts and one VM each, on ten STO1 hosts; returns the contacts."""
    hosts = [f"sto1-cmp-{n:02d}" for n in range(1, 11)]
    tenants, resources, contacts = [], [], []
    for n in range(tenant_count):
        mine = [f"ops@t{n:03d}.example", f"noc@t{n:03d}.example"]
        contacts += mine
        tenants.append(
            {
                "id": f"t{n:03d}",
                "name": f"Tenant {n:03d} AB",
                "timezone": "Europe/Stockholm",
                "locale": "en",
                "contacts": [{"email": mine[0], "mode": "invite"}, {"email": mine[1], "mode": "notice"}],
            }
        )
        resources.append(
            {
                "id": f"vm-{n:05d}",
                "name": f"web-{n}",
                "kind": "vm",
                "host": hosts[n % 10],
                "tenant": f"t{n:03d}",
            }
        )
    inventory = {
        "sites": [{"code": "STO1", "name": "Stockholm 1", "timezone": "Europe/Stockholm"}],
        "hosts": [{"name": h, "site": "STO1", "role": "compute"} for h in hosts],
        "tenants": tenants,
        "resources": resources,
    }
    path.write_text(yaml.safe_dump(inventory))
    return contacts


class Recorder:
    """An SMTP handler counting each (recipient, kind, sequence) it accepts.

    The Message-ID carries the ledger key (window.tenant.kind.rSEQ.who), so a
    resent notice is recognised whatever its content.
    """

    def __init__(self) -> None:
        self.received: Counter[tuple[str, str, int]] = Counter()
        # The same, per window: what one window's notices did, whatever other windows' still do.
        self.by_window: Counter[tuple[str, str, str, int]] = Counter()
        self.attempts: Counter[tuple[str, str]] = Counter()

    def verdict(self, rcpt: str, message_id: str) -> str | None:
        """Override to refuse some attempts; None accepts."""
        return None

    async def handle_DATA(self, server, session, envelope) -> str:
        message_id = _header(envelope.content, b"Message-ID")
        [rcpt] = envelope.rcpt_tos
        self.attempts[(rcpt, message_id)] += 1
        refusal = self.verdict(rcpt, message_id)
        if refusal:
            return refusal
        window, _tenant, kind, seq, *_ = message_id.strip("<>").split("@")[0].split(".")
        self.received[(rcpt, kind, int(seq.removeprefix("r")))] += 1
        self.by_window[(window, rcpt, kind, int(seq.removeprefix("r")))] += 1
        return "250 OK"

    @property
    def delivered(self) -> int:
        return sum(self.received.values())


def _header(content: bytes, name: bytes) -> str:
    for line in content.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(name.lower() + b":"):
            return line.split(b":", 1)[1].strip().decode()
    raise AssertionError(f"no {name!r} header")


class Mailserver:
    """An aiosmtpd server on a fixed port that can go away and come back."""

    def __init__(self, handler: Recorder, *, password: str | None = None) -> None:
        self.handler = handler
        self.port = free_port()
        self.password = password
        self.controller: Controller | None = None

    def start(self) -> None:
        auth = {}
        if self.password:
            # Plain SMTP AUTH on loopback keeps the test small; TLS is tested on its own.
            auth = {"authenticator": self._check, "auth_required": True, "auth_require_tls": False}
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **auth)
        self.controller.start()

    def _check(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.password.decode() == self.password
        return AuthResult(success=ok, handled=False)

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None


@dataclass
class Service:
    """`forewarn run NAME` as its own OS process; "notifier#2" names a second notifier."""

    name: str
    env: dict[str, str]
    log: Path
    args: tuple[str, ...] = ()
    process: asyncio.subprocess.Process | None = None
    log_offset: int = 0

    async def start(self) -> None:
        self.log_offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                FOREWARN, "run", self.service, *self.args, stdout=out, stderr=out, env=self.env
            )

    @property
    def service(self) -> str:
        return self.name.partition("#")[0]

    async def ready(self, timeout: float = 60) -> None:
        """Wait until the service says it runs (after connecting and subscribing)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while f"running {self.service}".encode() not in self.log.read_bytes()[self.log_offset :]:
            assert self.process and self.process.returncode is None, f"{self.name} exited: see {self.log}"
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{self.name} did not start within {timeout}s: see {self.log}")
            await asyncio.sleep(0.1)

    async def kill(self) -> None:
        """SIGKILL: no clean shutdown, no ack, nothing flushed."""
        assert self.process and self.process.returncode is None, f"{self.name} is not running"
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.process and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


@dataclass
class Fleet:
    """The services, the servers and the expectations of one fault test."""

    tmp: Path
    mail: Mailserver
    contacts: list[str]
    env: dict[str, str]
    capsys: pytest.CaptureFixture[str] | None = None
    services: dict[str, Service] = field(default_factory=dict)
    nats: NatsServer | None = None
    cluster: NatsCluster | None = None

    def say(self, line: str) -> None:
        """Print past pytest's capture: the counts belong in every run's output."""
        if self.capsys:
            with self.capsys.disabled():
                print(line)
        else:
            print(line)

    async def start(
        self, *names: str, env: dict[str, dict[str, str]] | None = None, args: tuple[str, ...] = ()
    ) -> None:
        """Start services and wait until each one runs; a restart starts the same one again.

        `env` adds variables for one service ({"notifier": {...}}); `args` go to `forewarn run`.
        """
        for name in names:
            extra = (env or {}).get(name, {}) or (env or {}).get(name.partition("#")[0], {})
            self.services.setdefault(name, Service(name, self.env | extra, self.tmp / f"{name}.log", args))
        await asyncio.gather(*(self.services[n].start() for n in names))
        await asyncio.gather(*(self.services[n].ready() for n in names))

    async def cli(
        self, *args: str, timeout: float = 120, env: dict[str, str] | None = None
    ) -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(
            FOREWARN,
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self.env | (env or {}),
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
        return proc.returncode, out.decode(), err.decode()

    async def book(self, *, start: str, duration: str) -> str:
        code, out, err = await self.cli(
            "book", "--title", "STO1 compute: rolling kernel update", "--impact", "outage",
            "--hosts", HOSTS, "--start", start, "--duration", duration, "--json",
        )  # fmt: skip
        assert code == 0, err or out
        return json.loads(out)["id"]

    def expected(self) -> Counter[tuple[str, str, int]]:
        """Scheduled (revision 1) and completed (revision 3) to each contact, once."""
        return Counter(
            {(c, kind, seq): 1 for c in self.contacts for kind, seq in (("scheduled", 1), ("completed", 3))}
        )

    async def report(self, window_id: str) -> dict | None:
        code, out, _ = await self.cli("report", window_id, "--json")
        return json.loads(out) if code == 0 else None

    async def settle(self, window_id: str, *, timeout: float = 240) -> dict:
        """Wait until every expected notice arrived and the report counts them all."""
        expected = self.expected()
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            if set(self.mail.handler.received) >= set(expected):
                report = await self.report(window_id)
                if (
                    report
                    and report["notices"]["pending"] == 0
                    and report["notices"]["sent"] >= len(expected)
                ):
                    await asyncio.sleep(2)  # anything still in flight would show as a duplicate now
                    return await self.report(window_id)
            if asyncio.get_running_loop().time() > deadline:
                got = set(self.mail.handler.received)
                raise AssertionError(f"after {timeout}s: {len(set(expected) - got)} notices missing")
            await asyncio.sleep(0.5)

    def counts(self, report: dict, *, fault: str) -> tuple[int, int]:
        """Print and return (duplicates, missing); check the report against what arrived."""
        expected, received = self.expected(), self.mail.handler.received
        duplicates = sum(n - 1 for n in received.values() if n > 1)
        missing = sum((expected - received).values())
        unexpected = set(received) - set(expected)
        self.say(
            f"\n[{fault}] expected {sum(expected.values())}, delivered {sum(received.values())}, "
            f"duplicates {duplicates}, missing {missing}"
        )
        assert not unexpected, sorted(unexpected)[:5]
        # The report agrees with the mail server: every notice sent once in its ledger.
        assert report["notices"] | {"schema_version": 1} == {
            "sent": len(expected), "failed": 0, "pending": 0, "schema_version": 1
        }  # fmt: skip
        assert report["tenant_count"] == TENANTS and report["failure_count"] == 0
        return duplicates, missing


async def make_fleet(
    tmp_path: Path,
    capsys,
    nats_url: str,
    *,
    mail_password: str | None = None,
    tenants: int = TENANTS,
    database_url: str | None = None,
    recorder: Recorder | None = None,
    **env: str,
) -> Fleet:
    mail = Mailserver(recorder or Recorder(), password=mail_password)
    mail.start()
    contacts = write_inventory(tmp_path / "inventory.yaml", tenants)
    environment = (
        os.environ
        | env
        | {
            "FOREWARN_NATS_URL": nats_url,
            "FOREWARN_DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'forewarn.db'}",
            "FOREWARN_DATA_DIR": str(tmp_path / "data"),
            "FOREWARN_FREEZE_DIR": str(ROOT / "calendars"),
            "FOREWARN_SMTP_HOST": "127.0.0.1",
            "FOREWARN_SMTP_PORT": str(mail.port),
            "FOREWARN_SMTP_CONCURRENCY": str(CONCURRENCY),
            "FOREWARN_REMINDERS": "",
            "COLUMNS": "200",
            "NO_COLOR": "1",
        }
    )
    fleet = Fleet(tmp_path, mail, contacts, environment, capsys)
    code, _, err = await fleet.cli("db", "upgrade")  # as an operator does before starting services
    assert code == 0, err
    code, _, err = await fleet.cli("inventory", "load", str(tmp_path / "inventory.yaml"))
    assert code == 0, err
    return fleet


async def stop_fleet(fleet: Fleet) -> None:
    await asyncio.gather(*(s.stop() for s in fleet.services.values()))
    fleet.mail.stop()
