"""Impact resolution at scale, against the floor: one hand-written SQL query.

1. Generates 50,000 hosts, 1,000,000 resources and 20,000 tenants into a fresh
   SQLite database (kept in bench/.data/ between runs).
2. Books a window over 5,000 hosts.
3. Times producing its ImpactResolved messages (query, grouping, JSON) and the
   floor, each in a child process of its own so peak RSS is theirs alone, and
   reports the ratio. A smaller window shows memory follows the result.

    python bench/impact.py [--hosts 50000 --resources 1000000 --tenants 20000 --window 5000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

DATA = Path(__file__).resolve().parent / ".data"
ROLES = ("compute", "gpu")
SITES = ("STO1", "STO2", "OSL2")

# The same facts forewarn produces (each resource with its host's component
# and its owner, and each owner's contacts) in one query, rows fetched as tuples.
FLOOR_SQL = """
SELECT r.id, r.name, r.kind, r.host, h.site, h.role, t.id, t.name, t.timezone, t.locale, c.contacts
FROM host h
LEFT JOIN resource r ON r.host = h.name
LEFT JOIN tenant t ON t.id = r.tenant
LEFT JOIN (
    SELECT tenant_id, json_group_array(json_object('email', email, 'name', name, 'mode', mode)) AS contacts
    FROM tenant_contact GROUP BY tenant_id
) c ON c.tenant_id = t.id
WHERE h.name IN (SELECT value FROM json_each(?))
"""


def generate(path: Path, hosts: int, resources: int, tenants: int) -> None:
    """Write the inventory with forewarn's own tables, in bulk."""
    from forewarn.services.platform.db import create_db_engine
    from forewarn.services.runtime.migrate import upgrade

    engine = create_db_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    rng = random.Random(42)
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    db.executemany(
        "INSERT INTO site (code, name, timezone) VALUES (?, ?, ?)",
        [(s, s, "Europe/Stockholm") for s in SITES],
    )
    db.executemany(
        "INSERT INTO host (name, site, role, tags) VALUES (?, ?, ?, '[]')",
        [(f"h{i:06d}", SITES[i % 3], ROLES[i % 10 == 0]) for i in range(hosts)],
    )
    db.executemany(
        "INSERT INTO tenant (id, name, timezone, locale) VALUES (?, ?, 'Europe/Stockholm', 'sv')",
        [(f"t{i:05d}", f"Tenant {i}") for i in range(tenants)],
    )
    db.executemany(
        "INSERT INTO tenant_contact (tenant_id, email, name, mode) VALUES (?, ?, '', 'invite')",
        [(f"t{i:05d}", f"ops@t{i:05d}.example") for i in range(tenants)],
    )
    db.executemany(
        "INSERT INTO resource (id, name, kind, host, tenant) VALUES (?, ?, 'vm', ?, ?)",
        (
            (f"r{i:07d}", f"vm-{i}", f"h{rng.randrange(hosts):06d}", f"t{rng.randrange(tenants):05d}")
            for i in range(resources)
        ),
    )
    db.commit()
    db.execute("ANALYZE")
    db.close()


def window_hosts(n: int) -> list[str]:
    return [f"h{i:06d}" for i in range(0, n * 10, 10)][:n]


def measure_forewarn(path: Path, n: int) -> dict:
    from forewarn.schemas.base import Impact, WindowState
    from forewarn.schemas.impact import ImpactCause
    from forewarn.schemas.windows import Component, WindowView
    from forewarn.services.impact.resolve import resolve_impact
    from forewarn.services.platform.db import create_db_engine

    engine = create_db_engine(f"sqlite:///{path}")
    start = datetime.now(UTC) + timedelta(days=1)
    window = WindowView(
        id="mw-bench000",
        title="bench",
        impact=Impact.OUTAGE,
        state=WindowState.SCHEDULED,
        start=start,
        end=start + timedelta(hours=2),
        revision=1,
        hosts=window_hosts(n),
        components=[Component(site=s, role=r) for s in SITES for r in ROLES],
    )
    began = time.perf_counter()
    results = resolve_impact(engine, window, ImpactCause.SCHEDULED, max_bytes=8 * 1024 * 1024)
    payload = sum(len(r.body) for r in results)
    elapsed = time.perf_counter() - began
    return {
        "seconds": elapsed,
        "resources": results[0].resource_count,
        "tenants": results[0].tenant_count,
        "parts": len(results),
        "bytes": payload,
    }


def measure_floor(path: Path, n: int) -> dict:
    db = sqlite3.connect(path)
    began = time.perf_counter()
    rows = db.execute(FLOOR_SQL, (json.dumps(window_hosts(n)),)).fetchall()
    elapsed = time.perf_counter() - began
    return {"seconds": elapsed, "resources": sum(1 for r in rows if r[0] is not None)}


def child(kind: str, path: Path, n: int) -> dict:
    """Run one measurement in a fresh process and read back its numbers."""
    out = subprocess.run(
        [sys.executable, __file__, "--measure", kind, "--db", str(path), "--window", str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hosts", type=int, default=50_000)
    parser.add_argument("--resources", type=int, default=1_000_000)
    parser.add_argument("--tenants", type=int, default=20_000)
    parser.add_argument("--window", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--measure", choices=["forewarn", "floor"])
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()

    if args.measure:
        result = (measure_forewarn if args.measure == "forewarn" else measure_floor)(args.db, args.window)
        result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    DATA.mkdir(exist_ok=True)
    from forewarn.services.runtime.migrate import HEAD

    # Named for the schema too: a database kept from before a migration is not reused.
    path = DATA / f"impact-r{HEAD}-{args.hosts}-{args.resources}-{args.tenants}.db"
    if not path.exists():
        print(f"generating {args.hosts:,} hosts, {args.resources:,} resources, {args.tenants:,} tenants …")
        began = time.perf_counter()
        generate(path.with_suffix(".tmp"), args.hosts, args.resources, args.tenants)
        path.with_suffix(".tmp").rename(path)
        print(f"  done in {time.perf_counter() - began:.1f}s ({path.stat().st_size / 2**20:.0f} MiB)")

    report = {}
    for n in sorted({args.window, max(args.window // 5, 1)}):
        ours = [child("forewarn", path, n) for _ in range(args.runs)]
        floor = [child("floor", path, n) for _ in range(args.runs)]
        assert ours[0]["resources"] == floor[0]["resources"], "forewarn and the floor disagree"
        report[n] = (ours, floor)

    print(
        f"\nImpact of a window, inventory {args.hosts:,} hosts / {args.resources:,} resources / "
        f"{args.tenants:,} tenants (median of {args.runs})"
    )
    print(
        f"{'window':>8} {'resources':>10} {'tenants':>8} {'forewarn':>10} {'floor':>9} {'ratio':>6} "
        f"{'RSS forewarn':>13} {'RSS floor':>10}"
    )
    for n, (ours, floor) in report.items():
        t_ours = statistics.median(r["seconds"] for r in ours)
        t_floor = statistics.median(r["seconds"] for r in floor)
        rss_ours = statistics.median(r["peak_rss_mib"] for r in ours)
        rss_floor = statistics.median(r["peak_rss_mib"] for r in floor)
        print(
            f"{n:>8,} {ours[0]['resources']:>10,} {ours[0]['tenants']:>8,} {t_ours:>9.3f}s {t_floor:>8.3f}s "
            f"{t_ours / t_floor:>5.2f}x {rss_ours:>10.0f} MiB {rss_floor:>6.0f} MiB"
        )
    print("\nforewarn: query, group by tenant, build ImpactResolved and encode it to JSON.")
    print("floor:    one hand-written SQL query over the same database, rows fetched, nothing built.")


if __name__ == "__main__":
    main()
