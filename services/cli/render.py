"""How windows look in the terminal and in --json."""

from __future__ import annotations

import json
from datetime import datetime

from rich.table import Table

from ..durations import format_duration
from ..scheduler.selectors import fold
from .common import console, safe


def when(start: datetime, end: datetime) -> str:
    """'2026-12-01 22:00 → 2026-12-02 01:00 UTC (3h)'."""
    same_day = start.date() == end.date()
    end_text = f"{end:%H:%M}" if same_day else f"{end:%Y-%m-%d %H:%M}"
    return f"{start:%Y-%m-%d %H:%M} → {end_text} UTC ({format_duration(end - start)})"


def window_json(window: dict, tenants: list[dict], **extra: object) -> dict:
    """The stable JSON shape of a window for scripts."""
    return {
        "id": window["id"],
        "title": window["title"],
        "status": window["state"],
        "impact": window["impact"],
        "start": _iso(window["start"]),
        "end": _iso(window["end"]),
        "hosts": window["hosts"],
        "tenants": [t["id"] for t in tenants],
        "revision": window["revision"],
        "description": window.get("description", ""),
        **extra,
    }


def _iso(value: str | datetime) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def print_window(window: dict, tenants: list[dict], *, headline: str) -> None:
    """A window as a short card, with its affected tenants."""
    start, end = (datetime.fromisoformat(str(window[k])) for k in ("start", "end"))
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Title", safe(window["title"]))
    table.add_row("Status", f"{window['state']} (revision {window['revision']})")
    table.add_row("When", when(start, end))
    table.add_row("Impact", window["impact"])
    table.add_row("Hosts", f"{fold(window['hosts'])} ({len(window['hosts'])})")
    names = ", ".join(safe(t["name"]) for t in tenants[:12]) + (", …" if len(tenants) > 12 else "")
    table.add_row("Tenants", f"{len(tenants)} affected" + (f": {names}" if tenants else ""))
    console.print(headline)
    console.print(table)


def dump(data: object) -> None:
    """JSON for scripts, on stdout, nothing else."""
    print(json.dumps(data, indent=2, default=str))
