"""Hostile and broken payloads straight onto every command and event subject.

Each row is published raw, as a buggy or hostile producer would, onto the real
stream with the services running. Each must end in a clear rejection: a
WindowRejected naming the field, or a dead letter with its reason for every
consumer of that subject. No service crashes or wedges: a valid booking sent
after all of them is processed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from forewarn.schemas import subjects

from .conftest import cli_json, eventually, running, stream_messages
from .smtp import Inbox

pytestmark = pytest.mark.integration

START = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)


def book(cid: str, **changes) -> dict:
    """A valid BookWindow payload, with changes (None removes a field)."""
    payload = {
        "command_id": cid,
        "title": "Kernel update",
        "impact": "OUTAGE",
        "start": START.isoformat(),
        "end": (START + timedelta(hours=2)).isoformat(),
        "hosts": {"nodeset": "sto1-cmp-01"},
    } | changes
    return {k: v for k, v in payload.items() if v is not None}


def window_event(**changes) -> dict:
    view = {
        "id": "mw-zzzzzzzz", "title": "t", "impact": "OUTAGE", "state": "scheduled",
        "start": START.isoformat(), "end": (START + timedelta(hours=1)).isoformat(), "revision": 1,
        "hosts": ["sto1-cmp-01"], "components": [{"site": "STO1", "role": "compute"}],
    }  # fmt: skip
    return {"window": view} | changes


@dataclass(frozen=True)
class Rejected:
    """The scheduler answers with WindowRejected naming this field."""

    field: str


@dataclass(frozen=True)
class Dead:
    """Each of these consumers keeps a dead letter whose reason says this."""

    consumers: tuple[str, ...]
    reason: str


UNKNOWN = "mw-zzzzzzzz"
YEARS = (START + timedelta(days=3 * 365)).isoformat()
ROWS: list[tuple[str, str, object, object]] = [
    # name, subject, payload (bytes or JSON), expectation
    (
        "malformed JSON",
        subjects.BOOK,
        b'{"title": ',
        Dead(("scheduler-book",), "payload: is not a JSON object"),
    ),
    ("binary garbage", subjects.BOOK, b"\x00\xff\xfe", Dead(("scheduler-book",), "payload: is not a JSON")),
    ("a JSON array", subjects.BOOK, b"[]", Dead(("scheduler-book",), "payload")),
    (
        "JSON nested 100,000 deep",
        subjects.BOOK,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        # Rejected on its first delivery, not given up on after every retry.
        Dead(("scheduler-book",), "payload: is nested too deeply"),
    ),
    (
        "a title with an escape sequence",
        subjects.BOOK,
        book("hostile-r26", title="Reboot\x1b[2J\x1b]0;pwned\x07"),
        Rejected("title"),
    ),
    (
        "a range of 10^11 hosts",
        subjects.BOOK,
        book("hostile-r27", hosts={"nodeset": "x[1-100000000000]"}),
        Rejected("hosts.nodeset"),
    ),
    (
        "wrong schema_version",
        subjects.BOOK,
        book("hostile-r04", schema_version=2),
        Rejected("schema_version"),
    ),
    ("unknown field", subjects.BOOK, book("hostile-r05", colour="red"), Rejected("colour")),
    ("wrong type", subjects.BOOK, book("hostile-r06", impact=42), Rejected("impact")),
    ("unknown impact", subjects.BOOK, book("hostile-r07", impact="CATASTROPHIC"), Rejected("impact")),
    (
        "time without a zone",
        subjects.BOOK,
        book("hostile-r08", start="2026-12-24T22:00:00"),
        Rejected("start"),
    ),
    ("title of a megabyte", subjects.BOOK, book("hostile-r09", title="x" * 1_000_000), Rejected("title")),
    ("a window of years", subjects.BOOK, book("hostile-r10", end=YEARS), Rejected("end")),
    ("end before start", subjects.BOOK, book("hostile-r11", end=START.isoformat()), Rejected("end")),
    (
        "thousands of hosts",
        subjects.BOOK,
        book("hostile-r12", hosts={"nodeset": "sto1-cmp-[0001-9999]"}),
        Rejected("hosts"),
    ),
    (
        "unicode host names",
        subjects.BOOK,
        book("hostile-r13", hosts={"nodeset": "stö1-cmp-01,сто1-gpu"}),
        Rejected("hosts"),
    ),
    ("no host selector", subjects.BOOK, book("hostile-r14", hosts={}), Rejected("hosts")),
    ("hostile command id", subjects.BOOK, book("../../etc/passwd"), Dead(("scheduler-book",), "command_id")),
    (
        "missing command id",
        subjects.COMPLETE,
        {"window_id": UNKNOWN},
        Dead(("scheduler-complete",), "command_id"),
    ),
    (
        "reschedule an unknown window",
        subjects.RESCHEDULE,
        {"command_id": "hostile-r17", "window_id": UNKNOWN, "start": START.isoformat(), "end": YEARS},
        Rejected("window_id"),
    ),
    (
        "reschedule with naive times",
        subjects.RESCHEDULE,
        {
            "command_id": "hostile-r18",
            "window_id": UNKNOWN,
            "start": "2026-12-01T22:00",
            "end": "2026-12-01T23:00",
        },
        Rejected("start"),
    ),
    (
        "a path as window id",
        subjects.RESCHEDULE,
        {"command_id": "hostile-r19", "window_id": "../../x", "start": START.isoformat(), "end": YEARS},
        Rejected("window_id"),
    ),
    (
        "extend by a negative time",
        subjects.EXTEND,
        {"command_id": "hostile-r20", "window_id": UNKNOWN, "by": "-PT1H"},
        Rejected("by"),
    ),
    (
        "extend by words",
        subjects.EXTEND,
        {"command_id": "hostile-r21", "window_id": UNKNOWN, "by": "forever"},
        Rejected("by"),
    ),
    (
        "extend an unknown window",
        subjects.EXTEND,
        {"command_id": "hostile-r22", "window_id": UNKNOWN, "by": "PT1H"},
        Rejected("window_id"),
    ),
    (
        "cancel with no reason",
        subjects.CANCEL,
        {"command_id": "hostile-r23", "window_id": UNKNOWN, "reason": ""},
        Rejected("reason"),
    ),
    (
        "cancel an unknown window",
        subjects.CANCEL,
        {"command_id": "hostile-r24", "window_id": UNKNOWN, "reason": "x"},
        Rejected("window_id"),
    ),
    (
        "complete an unknown window",
        subjects.COMPLETE,
        {"command_id": "hostile-r25", "window_id": UNKNOWN},
        Rejected("window_id"),
    ),
    (
        "event: malformed JSON",
        subjects.SCHEDULED,
        b"{{",
        Dead(("impact-scheduled",), "payload: is not a JSON"),
    ),
    (
        "event: wrong schema_version",
        subjects.SCHEDULED,
        window_event(schema_version=9),
        Dead(("impact-scheduled",), "schema_version"),
    ),
    ("event: nothing in it", subjects.STARTED, {}, Dead(("impact-started",), "window")),
    (
        "event: wrong types",
        subjects.COMPLETED,
        window_event(early="maybe"),
        Dead(("impact-completed",), "early"),
    ),
    ("event: missing field", subjects.CANCELLED, window_event(), Dead(("impact-cancelled",), "reason")),
    (
        "event: unknown field",
        subjects.RESCHEDULED,
        window_event(previous_start=START.isoformat(), previous_end=YEARS, extra=1),
        Dead(("impact-rescheduled",), "extra"),
    ),
    (
        "event: a scheduled event on the completed subject",
        subjects.COMPLETED,
        window_event(type="WindowScheduled"),
        Dead(("impact-completed",), "type"),
    ),
    (
        "event: bad duration",
        subjects.EXTENDED,
        window_event(previous_end=YEARS, by="x"),
        Dead(("impact-extended",), "by"),
    ),
    (
        "impact: malformed",
        subjects.IMPACT_RESOLVED,
        b'{"window": 1}',
        Dead(("notifier", "reporter"), "window"),
    ),
    (
        "impact: tenants of the wrong type",
        subjects.IMPACT_RESOLVED,
        window_event(
            cause="scheduled", components=[], tenant_count=1, resource_count=1, tenants=["x"] * 5000
        ),
        Dead(("notifier", "reporter"), "tenants"),
    ),
    (
        "timer: wrong types",
        subjects.due("mw-zzzzzzzz", "start"),
        {"window_id": 5, "edge": "middle"},
        Dead(("scheduler-due",), "edge"),
    ),
    (
        "reminder: empty",
        subjects.reminder_due("mw-zzzzzzzz", 3600, 1),
        {},
        Dead(("notifier-reminders",), "window_id"),
    ),
]


def _body(payload: object) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()


async def test_every_hostile_payload_is_rejected_with_its_reason_and_nothing_wedges(env, js, smtp) -> None:
    assert len(ROWS) >= 30
    smtp(Inbox())
    async with running("scheduler", "impact", "notifier", "reporter"):
        published = {}
        for n, (name, subject, payload, expect) in enumerate(ROWS):
            ack = await js.publish(subject, _body(payload), headers={"Nats-Msg-Id": f"bad-input-{n}"})
            published[name] = (ack.seq, payload, expect)

        # After all of them, a valid booking goes through.
        booked = await cli_json("book", "--title", "After the storm", "--impact", "outage",
                                "--start", "+2d", "--duration", "1h", "--hosts", "sto1-cmp-02")  # fmt: skip
        assert booked["status"] == "scheduled" and booked["tenants"]

        async def outcomes():
            letters = [json.loads(m.data) for m in await stream_messages(js, subjects.DEAD_LETTERS)]
            rejections = [json.loads(m.data) for m in await stream_messages(js, subjects.REJECTED)]
            return letters, rejections

        async def settled():
            letters, rejections = await outcomes()
            return (letters, rejections) if not _unmet(published, letters, rejections) else None

        try:
            letters, rejections = await eventually(settled, timeout=60, interval=0.5)
        except AssertionError:
            letters, rejections = await outcomes()
            raise AssertionError(_unmet(published, letters, rejections)) from None
    print(f"\n{len(ROWS)} hostile inputs: {len(letters)} dead letters, {len(rejections)} rejections")


def _unmet(published: dict, letters: list[dict], rejections: list[dict]) -> list[str]:
    """The rows whose clear rejection has not (yet) appeared."""
    unmet = []
    for name, (seq, payload, expect) in published.items():
        if isinstance(expect, Rejected):
            cid = payload.get("command_id") if isinstance(payload, dict) else None
            fields = [r["field"] for rej in rejections if rej["command_id"] == cid for r in rej["reasons"]]
            if not any(f == expect.field or f.startswith(expect.field + ".") for f in fields):
                unmet.append(f"{name}: no WindowRejected naming {expect.field} (got {fields})")
        else:
            mine = {lt["consumer"]: lt["reason"] for lt in letters if lt["stream_seq"] == seq}
            for consumer in expect.consumers:
                if expect.reason not in mine.get(consumer, ""):
                    unmet.append(
                        f"{name}: {consumer} left no dead letter saying {expect.reason!r} (got {mine})"
                    )
    return unmet
