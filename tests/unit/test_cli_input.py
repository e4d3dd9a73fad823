"""Every CLI input error: exit code 2, the field named, no traceback, nothing sent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
        (["reschedule", "mw-abcdefgh", "--start", "+1h"], "--end", "give either --end or --duration"),
        (["list", "--state", "sleeping"], "--state", "is not one of"),
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
