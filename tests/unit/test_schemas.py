"""Contracts: strict payloads, UTC times, and exports that match the code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from forewarn.schemas.base import Impact
from forewarn.schemas.commands import BookWindow, HostSelector
from forewarn.schemas.impact import ImpactResolved
from forewarn.schemas.timers import ReminderDue, WindowDue
from forewarn.services.common.durations import format_duration, parse_duration
from forewarn.services.contracts import export
from forewarn.services.scheduler.lifecycle import window_id_for

from ..factories import START, make_window

GOOD = dict(
    command_id="cmd-0001-abcd",
    title="t",
    impact="OUTAGE",
    start="2026-12-01T22:00:00+01:00",
    end="2026-12-02T01:00:00+01:00",
    hosts={"nodeset": "h-[1-2]"},
)


def test_times_are_normalised_to_utc() -> None:
    cmd = BookWindow.model_validate(GOOD)
    assert cmd.start == datetime(2026, 12, 1, 21, tzinfo=UTC) and cmd.start.tzinfo == UTC


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start": "2026-12-01T22:00:00"}, "start"),
        ({"schema_version": 2}, "schema_version"),
        ({"colour": "red"}, "colour"),
        ({"impact": "MELTDOWN"}, "impact"),
        ({"hosts": {}}, "hosts"),
        ({"command_id": "x"}, "command_id"),
        ({"title": "x" * 201}, "title"),
        ({"end": "not a time"}, "end"),
    ],
)
def test_bad_payloads_are_refused(change, field) -> None:
    with pytest.raises(ValidationError) as caught:
        BookWindow.model_validate(GOOD | change)
    assert caught.value.errors()[0]["loc"][0] == field


def test_payloads_are_immutable() -> None:
    cmd = BookWindow.model_validate(GOOD)
    with pytest.raises(ValidationError):
        cmd.title = "changed"  # type: ignore[misc]


def test_impact_reads_cli_spellings() -> None:
    assert Impact.parse("reduced-redundancy") is Impact.REDUCED_REDUNDANCY
    assert Impact.parse("no_impact") is Impact.NO_IMPACT


def test_window_ids_are_stable_and_short() -> None:
    assert window_id_for("abc") == window_id_for("abc") != window_id_for("abd")
    assert window_id_for("abc").startswith("mw-") and len(window_id_for("abc")) == 11


@pytest.mark.parametrize(
    ("text", "seconds"), [("2h", 7200), ("30m", 1800), ("1h30m", 5400), ("3d", 259200), ("90", 90)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)
    assert parse_duration(format_duration(timedelta(seconds=seconds))) == timedelta(seconds=seconds)


def test_host_selector_needs_something() -> None:
    with pytest.raises(ValidationError, match="name at least one"):
        HostSelector()


def test_offsets_other_than_utc_survive_round_trip() -> None:
    cmd = BookWindow.model_validate(
        GOOD | {"start": datetime(2026, 12, 1, 22, tzinfo=timezone(timedelta(hours=-5)))}
    )
    again = BookWindow.model_validate_json(cmd.model_dump_json())
    assert again.start == datetime(2026, 12, 2, 3, tzinfo=UTC)


def test_checked_in_exports_match_the_code() -> None:
    stale = [name for name, text in export.exports().items() if (export.HERE / name).read_text() != text]
    assert not stale, f"run `make schemas`: {stale}"


@pytest.mark.parametrize("window_id", ["*", ">", "mw-a.b", "mw-a b", "mw-*", "MW-ABC12345", ""])
def test_a_window_id_that_would_widen_a_subject_is_refused_everywhere(window_id: str) -> None:
    # A forged ImpactResolved with window.id "*" once purged every window's reminders.
    body = {"window": {**make_window().model_dump(mode="json"), "id": window_id}, "cause": "scheduled",
            "components": [], "tenant_count": 0, "resource_count": 0, "tenants": []}  # fmt: skip
    with pytest.raises(ValidationError, match=r"window\.id"):
        ImpactResolved.model_validate(body)
    with pytest.raises(ValidationError, match="window_id"):
        WindowDue.model_validate({"window_id": window_id, "edge": "start", "at": START.isoformat()})
    with pytest.raises(ValidationError, match="window_id"):
        ReminderDue.model_validate({"window_id": window_id, "revision": 1, "lead": 3600, "impact_seq": 1})
