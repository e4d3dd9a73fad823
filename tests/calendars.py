"""Reading forewarn's invitations as other software does: recurring-ical-events in Python,
ical.js in Node (tests/js, installed by `make calendars`), circuit-maintenance-parser in a
venv of its own (it pins icalendar 5)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import recurring_ical_events
from icalendar import Calendar

ROOT = Path(__file__).resolve().parent.parent
JS = ROOT / "tests" / "js"
# circuit-maintenance-parser pins icalendar 5.x; forewarn needs 6 or later: a venv of its own.
PARSER_VENV = ROOT / ".venv-maintnote"
PARSER = "circuit-maintenance-parser>=2.12,<3"


def utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def python_occurrences(ics: bytes, until: datetime | None = None) -> list[tuple[str, str]]:
    """(start, end) in UTC of every instance recurring-ical-events finds."""
    calendar = Calendar.from_ical(ics)
    until = until or datetime(2100, 1, 1, tzinfo=UTC)
    found = recurring_ical_events.of(calendar).between(datetime(2000, 1, 1, tzinfo=UTC), until)
    return [(utc(e.decoded("DTSTART")), utc(e.decoded("DTEND"))) for e in found]


def node() -> str:
    found = shutil.which("node")
    if not found or not (JS / "node_modules" / "ical.js").exists():
        raise AssertionError("ical.js is not installed: run `make calendars` (Node.js and tests/js)")
    return found


def icaljs(paths: list[Path]) -> list[dict]:
    """What ical.js makes of each file: its occurrences and overrides, in UTC."""
    result = subprocess.run(
        [node(), str(JS / "expand.mjs"), *map(str, paths)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def parser_python() -> Path:
    """The venv's python with circuit-maintenance-parser, made on first use."""
    python = PARSER_VENV / "bin" / "python"
    ready = PARSER_VENV / ".installed"
    # Test workers side by side: the first makes the venv, the others wait for it.
    with open(f"{PARSER_VENV}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(PARSER_VENV)], check=True)
            subprocess.run(
                [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", PARSER],
                check=True,
                env=os.environ | {"PIP_NO_INPUT": "1"},
            )
            ready.touch()
    return python


READ = """
import json, sys
from circuit_maintenance_parser import NotificationData, init_provider
out = []
for path in sys.argv[1:]:
    data = NotificationData.init_from_raw("ical", open(path, "rb").read())
    found = init_provider("genericprovider").get_maintenances(data)
    out.append([json.loads(m.to_json()) for m in found])
print(json.dumps(out))
"""


def maintnote(paths: list[Path]) -> list[list[dict]]:
    """What circuit-maintenance-parser reads from each file: its maintenances, as JSON."""
    result = subprocess.run(
        [str(parser_python()), "-c", READ, *map(str, paths)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)
