"""Every CLI input error: exit code 2, the field named, no traceback, nothing sent."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from forewarn.services.cli.main import app


@pytest.fixture(autouse=True)
def no_stack(monkeypatch) -> None:
    # Point at a port nobody listens on: an input error must be found before any connection.
    monkeypatch.setenv("FOREWARN_NATS_URL", "nats://127.0.0.1:9")


def book(*extra: str, title: str = "t", impact: str = "outage", hosts: str | None = "h") -> list[str]:
    """`book` arguments with one thing changed."""
    args = ["book", "--title", title, "--impact", impact, *(["--hosts", hosts] if hosts else [])]
    return [*args, *extra]


WINDOW = ["--start", "+1h", "--duration", "1h"]


@pytest.mark.parametrize(
    ("args", "field", "reason"),
    [
        (book("--start", "tomorrow", "--duration", "1h"), "--start", "is not an ISO 8601 time"),
        (book("--start", "2026-12-01T22:00", "--duration", "1h"), "--start", "has no time zone"),
        (
            book("--start", "2026-12-01T22:00", "--tz", "Mars/Base", "--duration", "1h"),
            "--tz",
            "is not an IANA",
        ),
        (book("--start", "+1h", "--duration", "soon"), "--duration", "is not a duration"),
        (book("--start", "+1h", "--duration", "0s"), "--duration", "must be longer than zero"),
        (book("--start", "+1h"), "--end", "give either --end or --duration"),
        (
            book("--start", "+1h", "--end", "+2h", "--duration", "1h"),
            "--end",
            "give either --end or --duration",
        ),
        (book("--start", "+1h", "--end", "later"), "--end", "is not an ISO 8601 time"),
        (book(*WINDOW, impact="meltdown"), "--impact", "is not one of"),
        (book(*WINDOW, hosts=None), "--hosts", "select hosts"),
        (book(*WINDOW, title=""), "--title", "at least 1 character"),
        (book(*WINDOW, title="x" * 201), "--title", "at most 200"),
        (["extend", "mw-abcdefgh", "--by", "forever"], "--by", "is not a duration"),
        (["extend", "not-an-id", "--by", "30m"], "ID", "should match pattern"),
        (["cancel", "mw-abcdefgh", "--reason", ""], "--reason", "at least 1 character"),
        (
            ["reschedule", "mw-abcdefgh", "--start", "+1h", "--end", "+3h", "--duration", "2h"],
            "--duration",
            "give either --end or --duration, not both",
        ),
        # A bare number is refused, not read as seconds: `--duration 90` once booked 90 s.
        (book("--start", "+1h", "--duration", "90"), "--duration", "'90' has no unit: write it as e.g. 90m"),
        (book("--start", "+90", "--duration", "1h"), "--start", "'90' has no unit"),
        (["extend", "mw-abcdefgh", "--by", "30"], "--by", "'30' has no unit"),
        (["list", "--state", "sleeping"], "--state", "is not one of"),
        (book(*WINDOW, "--batch-size", "2"), "--per-batch", "a rolling window needs the length"),
        (book(*WINDOW, "--per-batch", "40m"), "--batch-size", "needs --batch-size or --batch"),
        (
            book(*WINDOW, "--batch-size", "2", "--batch", "h", "--per-batch", "1m"),
            "--batch-size",
            "not both",
        ),
        (
            book(*WINDOW, "--batch-size", "0", "--per-batch", "1m"),
            "--batch-size",
            "greater than or equal to 1",
        ),
        (book(*WINDOW, "--batch-size", "2", "--per-batch", "soon"), "--per-batch", "is not a duration"),
        (["progress", "mw-abcdefgh", "--batch", "1"], "--started/--done", "give one of"),
        (["progress", "mw-abcdefgh", "--done"], "--host", "give either --host or --batch"),
        (["progress", "mw-abcdefgh", "--batch", "0", "--done"], "--batch", "greater than or equal to 1"),
        (book(*WINDOW, "--count", "3"), "--rrule", "--count and --until belong to a series"),
        (book("--start", "22:00", "--duration", "1h", "--rrule", "FREQ=WEEKLY"), "--tz", "needs the zone"),
        (book(*WINDOW, "--tz", "UTC", "--rrule", "FREQ=WEEKLY"), "--count", "a series must end"),
        (
            book(*WINDOW, "--tz", "UTC", "--rrule", "FREQ=WEEKLY;COUNT=2", "--count", "3"),
            "--rrule",
            "already has COUNT or UNTIL",
        ),
        (
            ["series", "reschedule", "ms-abc", "--from", "2027-01-01T00:00Z", "--start", "25h"],
            "--start",
            "is not a time of day",
        ),
        (book(*WINDOW, title="Reboot\x1b[2J"), "--title", "control or invisible character U+001B"),
        (book(*WINDOW, title="\u202egnp.exe"), "--title", "control or invisible character U+202E"),
        (book(*WINDOW, "--description", "ding\x07"), "--description", "U+0007"),
        (book("--start", "+99999999999d", "--duration", "1h"), "--start", "too long"),
        (book("--start", "9999-12-31T23:59+00:00", "--duration", "1h"), "--duration", "past the year 9999"),
        (book("--start", "0001-01-01T00:00+14:00", "--duration", "1h"), "--start", "out of range"),
        (book("--start", "+1h", "--duration", "99999999999999d"), "--duration", "too long"),
        (["extend", "mw-abcdefgh", "--by", "999999999999d"], "--by", "too long"),
        (["wait", "--timeout", "forever"], "--timeout", "is not a duration"),
    ],
)
def test_input_errors_exit_2_and_name_the_field(args, field, reason) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert f"{field}: " in result.output and reason in result.output, result.output
    assert "Traceback" not in result.output


def test_json_errors_are_machine_readable() -> None:
    result = CliRunner().invoke(app, book("--start", "tomorrow", "--duration", "1h", "--json"))
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["reasons"][0]["field"] == "--start" and "error" in data


def test_unknown_option_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, book(*WINDOW, "--colour", "red"))
    assert result.exit_code == 2 and "--colour" in result.output


def test_unreachable_nats_is_one_clear_line() -> None:
    result = CliRunner().invoke(app, book(*WINDOW))
    assert result.exit_code == 1
    assert "cannot reach NATS at nats://127.0.0.1:9" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("env", "args", "named"),
    [
        (
            {"FOREWARN_LOG_FORMAT": "xml"},
            ["run", "scheduler"],
            "FOREWARN_LOG_FORMAT: Input should be 'text' or 'json'",
        ),
        ({"FOREWARN_STREAM_REPLICAS": "9"}, ["list"], "FOREWARN_STREAM_REPLICAS: Input should be less than"),
        ({"FOREWARN_SMTP_PORT": "mail"}, ["up"], "FOREWARN_SMTP_PORT: Input should be a valid integer"),
        ({}, ["run", "scheduler", "--log-level", "loud"], "--log-level: 'loud' is not one of"),
        # Rich once read the pattern's [a-z0-9] as markup: '^(*)?(\.(*)?)+$'.
        (
            {"FOREWARN_PROVIDER": "Not A Domain"},
            ["list"],
            "FOREWARN_PROVIDER: 'Not A Domain' is not a domain name",
        ),
    ],
)
def test_a_bad_setting_is_named_without_a_traceback(env, args, named) -> None:
    # The console script itself: its entry point turns a refused FOREWARN_* variable into one line.
    forewarn = str(Path(sys.executable).with_name("forewarn"))
    done = subprocess.run(
        [forewarn, *args],
        env=os.environ | env | {"COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert named in done.stderr and "Traceback" not in done.stderr


FOREWARN = str(Path(sys.executable).with_name("forewarn"))
SECRET_URL = "nats://forewarn-cli:s3cret-pw@127.0.0.1:9"


def test_a_service_without_nats_says_where_it_tried_and_exits_1(tmp_path: Path) -> None:
    env = os.environ | {
        "FOREWARN_NATS_URL": SECRET_URL,
        "FOREWARN_NATS_CONNECT_TIMEOUT": "2",
        "FOREWARN_DATA_DIR": str(tmp_path),
        "COLUMNS": "200",
    }
    done = subprocess.run([FOREWARN, "run", "scheduler"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert "cannot reach NATS at nats://forewarn-cli:***@127.0.0.1:9 (no connection within 2s)" in done.stderr
    assert "s3cret" not in done.stdout + done.stderr and "Traceback" not in done.stderr
    cli = CliRunner().invoke(app, book(*WINDOW), env={"FOREWARN_NATS_URL": SECRET_URL})
    assert cli.exit_code == 1 and "forewarn-cli:***@" in cli.output and "s3cret" not in cli.output


def test_a_service_waiting_for_nats_stops_on_sigterm(tmp_path: Path) -> None:
    env = os.environ | {"FOREWARN_NATS_URL": SECRET_URL, "FOREWARN_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [FOREWARN, "run", "notifier"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert proc.stdout is not None
    said = proc.stdout.readline()  # its first line: where it is trying, for up to the timeout
    assert b"connecting to NATS at nats://forewarn-cli:***@127.0.0.1:9" in said, said
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=15)
    assert proc.returncode == 0 and b"stopped while starting" in out, out
    assert b"s3cret" not in said + out


def test_the_cli_adds_what_to_type_to_a_refusal() -> None:
    from forewarn.services.cli.send import hinted

    unknown = {"field": "hosts.nodeset", "message": "2 host(s) not in the inventory: sto1-cmp-[17-18]"}
    assert hinted(unknown).endswith("(see `forewarn inventory hosts`)")
    clash = {"field": "hosts", "message": "overlaps live window mw-abc12345 'x' (…) on sto1-cmp-01"}
    assert hinted(clash).endswith("(pass --allow-overlap if that is intended)")
    assert hinted({"field": "title", "message": "too long"}) == "too long"


def test_book_by_aggregate_and_availability_zone_sends_those_selectors(monkeypatch) -> None:
    """--aggregate is a host tag (an OpenStack host's tags are its aggregates); --az a zone."""
    from forewarn.services.cli import book

    sent = []
    monkeypatch.setattr(book, "run_command", lambda subject, command, **_: sent.append(command))
    args = ["book", "--title", "t", "--impact", "outage", *WINDOW, "--aggregate", "gpu", "--az", "sto2"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert sent[0].hosts.tags == ["gpu"] and sent[0].hosts.zones == ["sto2"] and not sent[0].hosts.nodeset


def test_book_with_a_rule_sends_a_series_that_ends(monkeypatch) -> None:
    """--rrule with --count or --until becomes the booking's recurrence; --start may be a time of day."""
    from forewarn.services.cli import book

    sent = []
    monkeypatch.setattr(book, "run_command", lambda subject, command, **_: sent.append(command))
    base = [
        "book",
        "--title",
        "t",
        "--impact",
        "outage",
        "--hosts",
        "h",
        "--duration",
        "4h",
        "--tz",
        "Europe/Oslo",
    ]
    rule = ["--rrule", "FREQ=MONTHLY;BYDAY=2TU"]
    assert CliRunner().invoke(app, [*base, *rule, "--start", "22:00", "--count", "12"]).exit_code == 0
    assert CliRunner().invoke(app, [*base, *rule, "--start", "22:00", "--until", "2027-06-30"]).exit_code == 0
    counted, until = sent
    assert counted.recurrence.rrule == "FREQ=MONTHLY;BYDAY=2TU;COUNT=12"
    assert counted.recurrence.timezone == "Europe/Oslo"
    assert counted.end - counted.start == timedelta(hours=4)
    assert counted.start.astimezone(ZoneInfo("Europe/Oslo")).strftime("%H:%M") == "22:00"
    # The end of 30 June in Oslo (CEST), in UTC as RFC 5545 asks.
    assert until.recurrence.rrule == "FREQ=MONTHLY;BYDAY=2TU;UNTIL=20270630T215959Z"


def test_a_relative_start_in_minutes_or_more_is_a_whole_minute() -> None:
    from datetime import UTC, datetime

    from forewarn.services.cli.common import parse_time

    now = datetime(2026, 12, 8, 12, 0, 30, 500_000, tzinfo=UTC)
    # Never earlier than asked: the next whole minute.
    assert parse_time("--start", "+1d", None, now=now) == datetime(2026, 12, 9, 12, 1, tzinfo=UTC)
    assert parse_time("--start", "+90m", None, now=now) == datetime(2026, 12, 8, 13, 31, tzinfo=UTC)
    # Seconds asked for are seconds given.
    assert parse_time("--start", "+20s", None, now=now) == now + timedelta(seconds=20)
