"""Scale-out and latency of the whole pipeline, each service its own process (`forewarn run`).

1. Fan-out: scheduler, impact and 1, 2 and 4 notifier processes sharing one
   durable consumer, on a fresh nats-server and store each time. One booking
   names TENANTS tenants (one contact each); the time runs from the booking to
   the last NoticeDelivered, and the mail goes to postfix's smtp-sink. Reports
   messages per second, the speed-up over one notifier, and the floor:
   smtp-source sending the same number of messages over the same number of
   SMTP sessions to the same sink.
2. Latency: 50 small windows (one tenant each) booked at once; for each, the
   time from publishing its BookWindow to the SMTP server's 250 for its first
   invitation (an aiosmtpd server in this process notes the moment). Reports
   p50 and p99 against the floor: storing one message in JetStream and sending
   one pre-built mail, 50 at once, which any design pays at least. Then 20
   bookings one after another, each when the last one's invitation is in: the
   latency of a lone booking.

The store is SQLite in a temporary folder, or with --database-url a new
PostgreSQL database created (and dropped) next to the one the URL names.

    python bench/scale.py [--tenants 4000 --database-url postgresql://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from fanout import FOREWARN, ensure_postfix_tools, floor, free_port, start_service, start_sink, until_running

ROOT = Path(__file__).resolve().parents[1]
HOSTS = 20
LATENCY_WINDOWS = 50
LONE_WINDOWS = 20
CONCURRENCY = 8  # FOREWARN_SMTP_CONCURRENCY of each notifier


def write_inventory(path: Path, tenants: int) -> None:
    """TENANTS tenants on the fan-out hosts, and one tenant on each latency host."""
    fan = [f"sto1-cmp-{i:02d}" for i in range(1, HOSTS + 1)]
    lat = [f"sto1-lat-{i:02d}" for i in range(1, LATENCY_WINDOWS + 1)]
    owners = [(f"t{i:05d}", fan[i % HOSTS]) for i in range(tenants)]
    owners += [(f"lat{i:02d}", host) for i, host in enumerate(lat)]
    inventory = {
        "sites": [{"code": "STO1", "name": "Stockholm 1", "timezone": "Europe/Stockholm"}],
        "hosts": [{"name": h, "site": "STO1", "role": "compute"} for h in fan + lat],
        "tenants": [
            {
                "id": tid,
                "name": f"Tenant {tid} AB",
                "timezone": "Europe/Stockholm",
                "locale": "sv",
                "contacts": [{"email": f"ops@{tid}.example", "mode": "invite"}],
            }
            for tid, _ in owners
        ],
        "resources": [
            {"id": f"vm-{tid}", "name": f"web-{tid}", "kind": "vm", "host": host, "tenant": tid}
            for tid, host in owners
        ],
    }
    path.write_text(yaml.safe_dump(inventory))


@contextmanager
def database(url: str | None, folder: Path) -> Iterator[str]:
    """A fresh store: a SQLite file, or a new PostgreSQL database beside the one named."""
    if not url:
        yield f"sqlite:///{folder / 'forewarn.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"forewarn_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


class Stack:
    """nats-server, a fresh store, and the services as processes."""

    def __init__(self, folder: Path, db_url: str, smtp_port: int, notifiers: int) -> None:
        from forewarn.services.bus.embedded import EmbeddedNats

        self.folder = folder
        self.nats = EmbeddedNats(folder / "nats", free_port(), users=False)
        self.notifiers = notifiers
        self.env = os.environ | {
            "FOREWARN_DATABASE_URL": db_url,
            "FOREWARN_DATA_DIR": str(folder / "data"),
            "FOREWARN_FREEZE_DIR": str(ROOT / "calendars"),
            "FOREWARN_SMTP_HOST": "127.0.0.1",
            "FOREWARN_SMTP_PORT": str(smtp_port),
            "FOREWARN_SMTP_CONCURRENCY": str(CONCURRENCY),
            "FOREWARN_REMINDERS": "",
            "FOREWARN_MIN_LEAD": "1m",
            "FOREWARN_LOG_LEVEL": "warning",
        }
        self.processes: list[subprocess.Popen] = []

    def cli(self, *args: str) -> str:
        done = subprocess.run([FOREWARN, *args], env=self.env, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"forewarn {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout

    async def __aenter__(self) -> Stack:
        self.nats.start()
        self.env["FOREWARN_NATS_URL"] = self.nats.url
        self.cli("db", "upgrade")
        self.cli("inventory", "load", str(self.folder / "inventory.yaml"))
        names = ["scheduler", "impact", *["notifier"] * self.notifiers]
        logs = [self.folder / f"{name}-{i}.log" for i, name in enumerate(names)]
        env = self.env | {"FOREWARN_LOG_LEVEL": "info"}
        self.processes = [start_service(name, env, log) for name, log in zip(names, logs, strict=True)]
        for name, process, log in zip(names, self.processes, logs, strict=True):
            await until_running(name, process, log)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=30)
        self.nats.stop()


def book(title: str, hosts: str, start: datetime) -> bytes:
    from forewarn.schemas.base import Impact
    from forewarn.schemas.commands import BookWindow, HostSelector

    command = BookWindow(
        command_id=f"bench-{uuid.uuid4().hex}",
        title=title,
        impact=Impact.OUTAGE,
        start=start,
        end=start + timedelta(hours=1),
        hosts=HostSelector(nodeset=hosts),
    )
    return command.model_dump_json().encode()


@asynccontextmanager
async def connected(url: str):
    import nats

    nc = await nats.connect(url)
    try:
        yield nc
    finally:
        await nc.close()


async def fan_out(stack: Stack, tenants: int) -> float:
    """Seconds from the booking to the last NoticeDelivered of its TENANTS notices."""
    from forewarn.schemas import subjects

    done = asyncio.Event()
    delivered = 0

    async def count(_msg) -> None:
        nonlocal delivered
        delivered += 1
        if delivered == tenants:
            done.set()

    async with connected(stack.nats.url) as nc:
        await nc.subscribe(subjects.NOTICE_DELIVERED, cb=count)
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
        began = time.perf_counter()
        body = book("STO1 compute: kernel update", f"sto1-cmp-[01-{HOSTS:02d}]", start)
        await nc.jetstream().publish(subjects.BOOK, body, headers={"Nats-Msg-Id": uuid.uuid4().hex})
        await asyncio.wait_for(done.wait(), timeout=1800)
        return time.perf_counter() - began


class FirstMail:
    """An aiosmtpd handler noting when it answered 250 to each window's first mail."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}

    async def handle_DATA(self, server, session, envelope) -> str:
        head = envelope.content.split(b"\r\n\r\n", 1)[0]
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                window = line.split(b":", 1)[1].strip().strip(b"<>").split(b".")[0].decode()
                self.at.setdefault(window, time.perf_counter())
        return "250 OK"


async def latency(stack: Stack, mail: FirstMail, *, days_ahead: int, together: bool = True) -> list[float]:
    """Milliseconds from each booking's publish to the 250 for its first invitation.

    Together: LATENCY_WINDOWS bookings published at once. Apart: LONE_WINDOWS
    bookings one after another, each once the last one's invitation is in.
    """
    from forewarn.schemas import subjects
    from forewarn.services.scheduler.lifecycle import window_id_for

    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days_ahead)
    sent: dict[str, float] = {}
    async with connected(stack.nats.url) as nc:
        js = nc.jetstream()

        async def one(i: int) -> str:
            body = book(f"Latency {i}", f"sto1-lat-{i:02d}", start)
            window = window_id_for(json.loads(body)["command_id"])
            sent[window] = time.perf_counter()
            await js.publish(subjects.BOOK, body, headers={"Nats-Msg-Id": uuid.uuid4().hex})
            return window

        count = LATENCY_WINDOWS if together else LONE_WINDOWS
        if together:
            await asyncio.gather(*(one(i) for i in range(1, count + 1)))
        else:
            for i in range(1, count + 1):
                window, deadline = await one(i), time.monotonic() + 30
                while window not in mail.at and time.monotonic() < deadline:
                    await asyncio.sleep(0.001)
        deadline = time.monotonic() + 120
        while len(set(sent) & set(mail.at)) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    missing = set(sent) - set(mail.at)
    if missing:
        raise SystemExit(f"{len(missing)} windows never got an invitation")
    return [1000 * (mail.at[w] - sent[w]) for w in sent]


async def latency_floor(nats_url: str, smtp_port: int) -> list[float]:
    """Milliseconds for one JetStream write and one pre-built mail, 50 at once."""
    import aiosmtplib

    head = b"From: a@example.net\r\nTo: b@example.net\r\nSubject: floor\r\n\r\n"
    message = head + (b"x" * 76 + b"\r\n") * 100  # about the size of an invitation
    async with connected(nats_url) as nc:
        js = nc.jetstream()
        await js.add_stream(name="FLOOR", subjects=["floor.>"])

        async def one(i: int) -> float:
            began = time.perf_counter()
            await js.publish(f"floor.{i}", b"{}", headers={"Nats-Msg-Id": uuid.uuid4().hex})
            await aiosmtplib.send(message, sender="a@example.net", recipients=["b@example.net"],
                                  hostname="127.0.0.1", port=smtp_port)  # fmt: skip
            return 1000 * (time.perf_counter() - began)

        return list(await asyncio.gather(*(one(i) for i in range(LATENCY_WINDOWS))))


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


async def run(args: argparse.Namespace) -> None:
    from aiosmtpd.controller import Controller

    rows = []
    with tempfile.TemporaryDirectory(prefix="forewarn-scale-") as tmp:
        sink_port = free_port()
        sink = start_sink(sink_port)
        try:
            for n in (1, 2, 4):
                folder = Path(tmp) / f"fan-{n}"
                folder.mkdir()
                write_inventory(folder / "inventory.yaml", args.tenants)
                with database(args.database_url, folder) as db:
                    async with Stack(folder, db, sink_port, n) as stack:
                        seconds = await fan_out(stack, args.tenants)
                theirs = floor(args.tenants, sink_port, args.size, CONCURRENCY * n)
                rows.append((n, seconds, theirs))
                print(f"  {n} notifier(s): {args.tenants / seconds:,.0f} msg/s", flush=True)
        finally:
            sink.terminate()
            sink.wait()

        mail = FirstMail()
        smtp_port = free_port()
        server = Controller(mail, hostname="127.0.0.1", port=smtp_port)
        server.start()
        try:
            folder = Path(tmp) / "latency"
            folder.mkdir()
            write_inventory(folder / "inventory.yaml", 0)
            with database(args.database_url, folder) as db:
                async with Stack(folder, db, smtp_port, 1) as stack:
                    # A warm-up round first (connections, caches), on other days so nothing overlaps.
                    await latency(stack, mail, days_ahead=5)
                    ours = await latency(stack, mail, days_ahead=2)
                    lone = await latency(stack, mail, days_ahead=3, together=False)
                    base = await latency_floor(stack.nats.url, smtp_port)
        finally:
            server.stop()

    store = "PostgreSQL" if args.database_url else "SQLite"
    print(f"\nFan-out: one window, {args.tenants:,} tenants, {CONCURRENCY} SMTP sessions per notifier,")
    print(f"scheduler + impact + N notifiers as processes, {store}, into smtp-sink (cores: {os.cpu_count()})")
    print(f"{'notifiers':>9} {'forewarn':>12} {'speed-up':>9} {'smtp-source':>13} {'ratio':>6}")
    one = args.tenants / rows[0][1]
    for n, seconds, theirs in rows:
        rate, floor_rate = args.tenants / seconds, args.tenants / theirs
        speed_up, ratio = rate / one, rate / floor_rate
        print(f"{n:>9} {rate:>6,.0f} msg/s {speed_up:>8.2f}x {floor_rate:>7,.0f} msg/s {ratio:>5.2f}x")
    p50, p99 = percentile(ours, 50), percentile(ours, 99)
    f50, f99 = percentile(base, 50), percentile(base, 99)
    print(
        f"\nLatency: booking published to the first invitation's SMTP 250, {LATENCY_WINDOWS} bookings at once"
    )
    print(f"  forewarn  p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   (goal: p50 < 100 ms, p99 < 250 ms)")
    print(f"  floor     p50 {f50:7.1f} ms   p99 {f99:7.1f} ms   (one JetStream write + one SMTP send)")
    print(f"  ratio     p50 {p50 / f50:7.1f}x     p99 {p99 / f99:7.1f}x")
    l50 = percentile(lone, 50)
    print(f"  alone     p50 {l50:7.1f} ms   ({LONE_WINDOWS} bookings one after another; goal: p50 < 30 ms)")
    verdict = "met" if p50 < 100 and p99 < 250 and l50 < 30 else "NOT met"
    print(f"  goal {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tenants", type=int, default=4000, help="notices in the fan-out window")
    parser.add_argument("--size", type=int, default=9000, help="bytes per smtp-source message (the floor)")
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL server to create a scratch database on"
    )
    args = parser.parse_args()
    if not ensure_postfix_tools():
        return
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
