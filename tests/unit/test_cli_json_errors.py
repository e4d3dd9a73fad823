"""Every command's refusals with --json: one shape, schemas/json/CliError.json, and the right exit code.

Run through the console script, as a script would: usage errors that the
argument parser finds before any command runs are JSON too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jsonschema
import pytest

from forewarn.services.platform.db import create_db_engine
from forewarn.services.runtime.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schemas" / "json" / "CliError.json").read_text())
FOREWARN = str(Path(sys.executable).with_name("forewarn"))
WINDOW = ["--start", "+1h", "--duration", "1h"]
BOOK = ["book", "--title", "t", "--impact", "outage", "--hosts", "h"]

# (arguments, exit code, the field the first reason names)
CASES = [
    (["book", "--impact", "outage", *WINDOW], 2, "--title"),
    ([*BOOK, "--start", "tomorrow", "--duration", "1h"], 2, "--start"),
    ([*BOOK, "--start", "+99999999999d", "--duration", "1h"], 2, "--start"),
    (["book", "--title", "Reboot\x1b[2J", "--impact", "outage", "--hosts", "h", *WINDOW], 2, "--title"),
    ([*BOOK, *WINDOW, "--bogus"], 2, "--bogus"),
    ([*BOOK, *WINDOW], 1, "command"),  # NATS is not there
    (["reschedule", "mw-abcdefgh", "--start", "+1h", "--duration", "90"], 2, "--duration"),
    (["extend", "mw-abcdefgh", "--by", "forever"], 2, "--by"),
    (["extend", "not-an-id", "--by", "1h"], 2, "ID"),
    (["cancel", "mw-abcdefgh", "--reason", ""], 2, "--reason"),
    (["complete", "mw-abcdefgh"], 1, "command"),
    (["list", "--state", "sleeping"], 2, "--state"),
    (["show", "mw-nothere1"], 2, "ID"),
    (["report", "mw-nothere1"], 2, "ID"),
    (["tail"], 1, "command"),
    (["tenant", "token", "acme"], 2, "FOREWARN_STATUS_URL"),
    (["tenant", "revoke", "ghost"], 2, "TENANT"),
    (["inventory", "load", "/nonexistent/inventory.yaml"], 2, "file"),
    (["inventory", "sync", "netbox"], 2, "SOURCE"),
    (["dlq", "list"], 1, "command"),
    (["dlq", "retry", "MAINT.1"], 1, "command"),
    (["db", "upgrade", "9999"], 2, "REVISION"),
]


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([FOREWARN, *args, "--json"], env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> list[subprocess.CompletedProcess[str]]:
    data = tmp_path_factory.mktemp("data")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOREWARN_")} | {
        "FOREWARN_NATS_URL": "nats://127.0.0.1:9",
        "FOREWARN_NATS_CONNECT_TIMEOUT": "2",
        "FOREWARN_DATA_DIR": str(data),
    }
    # An empty store, as a first `forewarn up` leaves it: each refusal is about its own input.
    engine = create_db_engine(f"sqlite:///{data / 'forewarn.db'}")
    upgrade(engine)
    engine.dispose()
    # Two at a time: each is a process that starts Python and the CLI.
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda case: _run(case[0], env), CASES))


@pytest.mark.parametrize(("case", "index"), [(c, i) for i, c in enumerate(CASES)], ids=lambda v: str(v)[:60])
def test_every_refusal_is_one_json_shape(outcomes, case, index) -> None:
    args, code, field = case
    done = outcomes[index]
    assert done.returncode == code, (args, done.stdout, done.stderr)
    printed = json.loads(done.stdout)
    jsonschema.validate(printed, SCHEMA)
    assert printed["reasons"][0]["field"] == field, printed
    assert "Traceback" not in done.stderr


def test_a_refused_setting_is_json_too(tmp_path: Path) -> None:
    env = os.environ | {"FOREWARN_PROVIDER": "Not A Domain", "FOREWARN_DATA_DIR": str(tmp_path)}
    done = _run(["list"], env)
    printed = json.loads(done.stdout)
    jsonschema.validate(printed, SCHEMA)
    assert done.returncode == 2 and printed["reasons"][0]["field"] == "FOREWARN_PROVIDER"


def test_a_read_without_a_store_says_where_it_looked_and_makes_none(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOREWARN_")} | {
        "FOREWARN_DATA_DIR": str(tmp_path / "nothing-here"),
    }
    for args in (["list"], ["show", "mw-abcdefgh"], ["inventory", "show"], ["report", "mw-abcdefgh"]):
        done = _run(args, env)
        printed = json.loads(done.stdout)
        jsonschema.validate(printed, SCHEMA)
        assert done.returncode == 1 and printed["error"].startswith(
            f"no store at {tmp_path / 'nothing-here' / 'forewarn.db'}"
        ), (args, printed)
    assert not (tmp_path / "nothing-here").exists()
