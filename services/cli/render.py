"""How windows look in the terminal and in --json."""

from __future__ import annotations

import json
from datetime import UTC, datetime, tzinfo

from .common import console, safe

# Names a card lists before it only counts the rest.
SHOWN = 12


def when(start: datetime, end: datetime, tz: tzinfo | None = None) -> str:
    """'2026-12-01 22:00 → 2026-12-02 01:00 UTC (3h)', in UTC or in the zone given."""
    from ..common.durations import format_duration

    start, end = start.astimezone(tz or UTC), end.astimezone(tz or UTC)
    same_day = start.date() == end.date()
    end_text = f"{end:%H:%M}" if same_day else f"{end:%Y-%m-%d %H:%M}"
    return f"{start:%Y-%m-%d %H:%M} → {end_text} {start:%Z} ({format_duration(end - start)})"


def window_json(window: dict, tenants: list[dict] | None, **extra: object) -> dict:
    """The stable JSON shape of a window for scripts.

    Without tenants (a listing, which does not resolve each window's impact),
    "tenants" is left out rather than given as an empty list that would mean "none".
    """
    shape = {
        "id": window["id"],
        "title": window["title"],
        "status": window["state"],
        "impact": window["impact"],
        "start": _iso(window["start"]),
        "end": _iso(window["end"]),
        "hosts": window["hosts"],
        "tenants": [t["id"] for t in tenants or []],
        "revision": window["revision"],
        "description": window.get("description", ""),
        **_rolling_json(window),
        **_series_json(window),
        **extra,
    }
    if tenants is None:
        del shape["tenants"]
    return shape


def _series_json(window: dict) -> dict:
    """A recurring window's series: the rule, every occurrence, what was skipped and why."""
    found = window.get("series")
    if not found:
        return {}
    return {
        "series": {
            "id": found["id"],
            "rrule": found["rrule"],
            "timezone": found["timezone"],
            "occurrence": _iso(found["recurrence_id"]["start"]),
            "occurrences": [_iso(o["start"]) for o in found["occurrences"]],
            "skipped": [{"start": _iso(s["start"]), "reason": s["reason"]} for s in found["skipped"]],
        }
    }


def _rolling_json(window: dict) -> dict:
    """A rolling window's batches and progress; nothing for any other window."""
    batches = window.get("batches") or []
    if not batches:
        return {}
    done = sum(len(b["done"]) for b in batches)
    return {
        "progress": {"hosts_done": done, "hosts": sum(len(b["hosts"]) for b in batches)},
        "batches": [
            {
                "number": b["number"],
                "hosts": b["hosts"],
                "start": _iso(b["start"]),
                "end": _iso(b["end"]),
                "expected_start": _iso(b["expected_start"]),
                "expected_end": _iso(b["expected_end"]),
                "state": _batch_state(b),
                "done": sorted(b["done"]),
            }
            for b in batches
        ],
    }


def _batch_state(batch: dict) -> str:
    if batch["done_at"]:
        return "done"
    return "running" if batch["started_at"] else "waiting"


def _iso(value: str | datetime) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def card(rows: list[tuple[str, str]]) -> None:
    """Key and value lines, the keys aligned; values are markup, so escape what the user gave.

    Plain lines rather than a Rich table: a table pads every line to its widest,
    which leaves trailing spaces in a file or a pipe.
    """
    width = max(len(key) for key, _ in rows) + 2
    for key, value in rows:
        console.print(f"[bold]{key:<{width}}[/]{value}", highlight=False, soft_wrap=True)


def print_window(window: dict, tenants: list[dict], *, headline: str) -> None:
    """A window as a short card, with its affected tenants."""
    from ..scheduler.selectors import fold

    start, end = (datetime.fromisoformat(str(window[k])) for k in ("start", "end"))
    names = ", ".join(safe(t["name"]) for t in tenants[:SHOWN])
    if len(tenants) > SHOWN:
        names += f" and {len(tenants) - SHOWN} more (--json lists them all)"
    console.print(headline)
    card(
        [
            ("Title", safe(window["title"])),
            ("Status", f"{window['state']} (revision {window['revision']})"),
            ("When", when(start, end)),
            ("Impact", window["impact"]),
            ("Hosts", f"{fold(window['hosts'])} ({len(window['hosts'])})"),
            ("Tenants", f"{len(tenants)} affected" + (f": {names}" if tenants else "")),
            *_series_rows(window),
        ]
    )
    print_batches(window)


def _series_rows(window: dict) -> list[tuple[str, str]]:
    """A recurring window's card rows: which occurrence of which series, the next ones, those skipped."""
    found = window.get("series")
    if not found:
        return []
    starts = [datetime.fromisoformat(str(o["start"])) for o in found["occurrences"]]
    this = datetime.fromisoformat(str(found["recurrence_id"]["start"]))
    shown = ", ".join(f"{s:%Y-%m-%d %H:%M}" for s in starts[:6])
    if len(starts) > 6:
        shown += f" and {len(starts) - 6} more"
    number = starts.index(this) + 1 if this in starts else "?"
    rows = [
        (
            "Series",
            f"{found['id']}: occurrence {number} of {len(starts)}, "
            f"{safe(found['rrule'])} in {safe(found['timezone'])}",
        ),
        ("Occurrences", f"{shown} UTC"),
    ]
    for skipped in found["skipped"]:
        at = datetime.fromisoformat(str(skipped["start"]))
        rows.append(("Skipped", f"{at:%Y-%m-%d %H:%M} UTC: {safe(skipped['reason'])}"))
    return rows


def print_batches(window: dict) -> None:
    """A rolling window's batches: hosts, slot as told, as expected now (or as run), and how far each is."""
    from rich.table import Table

    from ..common.hostnames import fold

    batches = window.get("batches") or []
    if not batches:
        return
    done = sum(len(b["done"]) for b in batches)
    total = sum(len(b["hosts"]) for b in batches)
    times = {
        key: [datetime.fromisoformat(str(b[key])) for b in batches]
        for key in ("start", "end", "expected_start", "expected_end")
    }
    # Minutes, unless a slot starts or ends between them.
    shape = "%H:%M:%S" if any(t.second for found in times.values() for t in found) else "%H:%M"
    table = Table(
        "#",
        "Hosts",
        "Slot (UTC)",
        "Expected or ran (UTC)",
        "State",
        header_style="bold",
        title=f"{done} of {total} hosts done",
    )
    for i, b in enumerate(batches):
        told = (times["start"][i], times["end"][i])
        expected = (times["expected_start"][i], times["expected_end"][i])
        state = _batch_state(b)
        if state == "running":
            state += f" ({len(b['done'])} of {len(b['hosts'])} done)"
        table.add_row(
            str(b["number"]),
            fold(b["hosts"]),
            f"{told[0]:{shape}}–{told[1]:{shape}}",
            "" if expected == told else f"{expected[0]:{shape}}–{expected[1]:{shape}}",
            state,
        )
    console.print(table)


def dump(data: object) -> None:
    """JSON for scripts, on stdout, nothing else."""
    print(json.dumps(data, indent=2, default=str))


def print_answers(answers: dict, line: str | None = None) -> None:
    """Tenants' answers: a summary line (unless a card has it), who declined or proposed, stale ones."""
    from rich.table import Table

    if line is not None:
        console.print(f"Answers  {safe(line)}", highlight=False, soft_wrap=True)
    for key, title in (
        ("declined", "Declined"),
        ("proposed", "Asked for another time"),
        ("stale", "Answers to an earlier plan"),
    ):
        if not answers[key]:
            continue
        table = Table(
            "Tenant",
            "Contact",
            "Answer",
            "Rev",
            "Proposed (UTC)",
            "Comment",
            header_style="bold",
            title=title,
        )
        for a in answers[key]:
            proposed = a["proposed_start"][:16].replace("T", " ") if a["proposed_start"] else ""
            table.add_row(
                safe(a["tenant_id"]),
                safe(a["contact"]),
                a["answer"],
                str(a["revision"]),
                proposed,
                safe(a["comment"]),
            )
        console.print(table)
    if answers["no_answer"]:
        console.print(
            "No answer  " + ", ".join(safe(t) for t in answers["no_answer"]), highlight=False, soft_wrap=True
        )
