"""Rejections decided by the scheduler reach the operator: exit 2, every reason, the field named."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from .conftest import run_cli

pytestmark = pytest.mark.integration
CLI_ERROR = json.loads(
    (Path(__file__).resolve().parents[2] / "schemas" / "json" / "CliError.json").read_text()
)


async def test_scheduler_rejections(stack) -> None:
    base = ["book", "--title", "t", "--impact", "outage"]
    cases = [
        (
            [*base, "--hosts", "sto1-cmp-[15-20]", "--start", "+1h", "--duration", "1h"],
            "hosts.nodeset: 4 host(s) not in the inventory: sto1-cmp-[17-20]",
        ),
        (
            [*base, "--site", "STO9", "--start", "+1h", "--duration", "1h"],
            "hosts.sites: unknown site(s) STO9",
        ),
        (
            [*base, "--hosts", "sto1-cmp-01", "--start", "2020-01-01T10:00Z", "--duration", "1h"],
            "start: 2020-01-01 10:00Z is in the past",
        ),
        ([*base, "--hosts", "sto1-cmp-01", "--start", "+2h", "--end", "+1h"], "end: must be after the start"),
        (
            [*base, "--hosts", "sto1-cmp-01", "--start", "2027-12-24T10:00+01:00", "--duration", "1h"],
            "start: the window falls in the change freeze 'Christmas and New Year change freeze'",
        ),
        (["cancel", "mw-nothere1", "--reason", "x"], "window_id: no window mw-nothere1"),
    ]
    for args, expected in cases:
        result = await run_cli(*args)
        assert result.code == 2, (args, result.out, result.err)
        assert expected in result.err, (args, result.err)
        assert "Traceback" not in result.err

    ok = await run_cli(*base, "--hosts", "sto1-cmp-01", "--start", "+1h", "--duration", "1h", "--json")
    wid = json.loads(ok.out)["id"]
    clash = await run_cli(
        *base, "--hosts", "sto1-cmp-[01-02]", "--start", "+1h", "--duration", "1h", "--json"
    )
    assert clash.code == 2
    # The scheduler's refusal has the one --json shape of every refusal (no schema_version in it).
    jsonschema.validate(json.loads(clash.out), CLI_ERROR)
    assert json.loads(clash.out)["error"] == "BookWindow rejected"  # the reasons follow apart, no colon
    reasons = json.loads(clash.out)["reasons"]
    assert reasons[0]["field"] == "hosts" and wid in reasons[0]["message"]
    early = await run_cli("complete", wid)
    assert early.code == 2 and f"cannot complete window {wid}: it is scheduled, not in_progress" in early.err
    # The refusal sits in the window's timeline where it happened, with its reason.
    await run_cli("extend", wid, "--by", "30m")
    timeline = json.loads((await run_cli("show", wid, "--json")).out)["timeline"]
    assert [t["event"] for t in timeline] == ["scheduled", "rejected", "extended"]
    assert timeline[1]["detail"] == (
        f"CompleteWindow refused: window_id: cannot complete window {wid}: it is scheduled, not in_progress"
    )
