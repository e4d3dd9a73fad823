"""How long a `forewarn` call takes, against the floor: a Python that starts and does nothing.

1. Makes a store in a temporary data dir: the example inventory and 30 booked
   windows (booked in-process, as the scheduler would; no bus is needed).
2. Runs each command 10 times as a fresh process and prints the median, the
   ratio to `python -c pass` run the same way, and the goal it has.
3. With --imports, prints what each command spends importing (`python -X importtime`),
   the heaviest first: where to look when a command is slow to start.

    python bench/cli.py [--runs 10] [--imports]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOREWARN = str(Path(sys.executable).with_name("forewarn"))
WINDOWS = 30


def prepare(data: Path) -> str:
    """A migrated store with the example inventory and some windows; one window's id."""
    env = {**os.environ, "FOREWARN_DATA_DIR": str(data)}
    env.pop("FOREWARN_DATABASE_URL", None)
    for argv in (["db", "upgrade"], ["inventory", "load", str(ROOT / "examples" / "inventory.yaml")]):
        subprocess.run([FOREWARN, *argv], env=env, check=True, capture_output=True)
    return _book(data)


def _book(data: Path) -> str:
    from sqlmodel import Session

    from forewarn.schemas.base import Impact
    from forewarn.schemas.commands import BookWindow, HostSelector
    from forewarn.services.platform.db import create_db_engine
    from forewarn.services.scheduler.freezes import FreezeCalendar
    from forewarn.services.scheduler.lifecycle import book, window_id_for
    from forewarn.services.scheduler.rules import Rules

    engine = create_db_engine(f"sqlite:///{data / 'forewarn.db'}")
    rules = Rules(min_lead=timedelta(0), max_duration=timedelta(days=2), freezes=FreezeCalendar([]))
    now = datetime.now(UTC)
    with Session(engine) as session:
        for n in range(WINDOWS):
            start = now + timedelta(days=1 + n)
            command = BookWindow(
                command_id=uuid.uuid4().hex,
                requested_by="bench",
                title=f"Bench window {n}",
                impact=Impact.OUTAGE,
                start=start,
                end=start + timedelta(hours=3),
                hosts=HostSelector(nodeset=f"sto1-cmp-{n % 8 + 1:02d}"),
            )
            book(session, command, rules=rules, now=now)
        session.commit()
    engine.dispose()
    return window_id_for(command.command_id)


def median_run(argv: list[str], env: dict[str, str], runs: int) -> float:
    """The median wall time of a fresh process, after one run to warm the disk cache."""
    subprocess.run(argv, env=env, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(argv, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def heaviest_imports(argv: list[str], env: dict[str, str], top: int = 8) -> list[tuple[float, str]]:
    """The top-level imports that cost a command most, in seconds (cumulative, as importtime counts)."""
    result = subprocess.run(
        argv, env={**env, "PYTHONPROFILEIMPORTTIME": "1"}, capture_output=True, text=True, check=True
    )
    found = []
    for line in result.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        top_level = len(parts) == 3 and parts[1].strip().isdigit() and not parts[2].startswith("  ")
        if top_level:
            found.append((int(parts[1]) / 1e6, parts[2].strip()))
    return sorted(found, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--imports", action="store_true", help="Also print each command's heaviest imports.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        window = prepare(data)
        env = {**os.environ, "FOREWARN_DATA_DIR": str(data)}
        env.pop("FOREWARN_DATABASE_URL", None)
        floor = median_run([sys.executable, "-c", "pass"], env, args.runs)
        # (what runs, its goal in seconds or None)
        commands = [
            (["--help"], 0.3),
            (["list"], 0.6),
            (["show", window], None),
            (["inventory", "hosts"], None),
            (["book", "--help"], None),
        ]
        print(f"{'command':<28} {'median':>8} {'floor ×':>8}  goal")
        print(f"{'python -c pass':<28} {floor:>7.3f}s {1:>7.1f}×")
        results = {}
        for argv, goal in commands:
            took = median_run([FOREWARN, *argv], env, args.runs)
            results[argv[0]] = took
            verdict = "" if goal is None else f"< {goal}s {'met' if took < goal else 'MISSED'}"
            name = "forewarn " + " ".join(argv).replace(window, "ID")
            print(f"{name:<28} {took:>7.3f}s {took / floor:>7.1f}×  {verdict}")
            if args.imports:
                for seconds, module in heaviest_imports([FOREWARN, *argv], env):
                    print(f"    {seconds:6.3f}s  {module}")
        print(
            f"cli: --help {results['--help']:.3f} s ({results['--help'] / floor:.1f}× floor), "
            f"list {results['list']:.3f} s ({results['list'] / floor:.1f}× floor), "
            f"floor python -c pass {floor:.3f} s, median of {args.runs}"
        )


if __name__ == "__main__":
    main()
