"""The CLI's help reads as a person expects, and starting it costs only what a command uses."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from forewarn.services.cli.main import app

# What a CLI call must not load unless its command needs it: the bus client,
# the ORM and Alembic cost a second between them (bench/cli.py measures it).
HEAVY = ("alembic", "faststream", "nats", "sqlalchemy", "sqlmodel", "jinja2", "icalendar", "uvicorn")


def _commands(group, path=()):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name)


COMMANDS = sorted(_commands(typer.main.get_command(app)))


@pytest.mark.parametrize("command", [(), *COMMANDS], ids=lambda c: " ".join(c) or "forewarn")
def test_help_shows_flags_as_flags_and_values_by_name(command) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    # A flag takes no value, so nothing stands between it and its help...
    assert "<bool>" not in result.output
    # ...and an option that takes one names what it takes (TIME, NODESET), not a Python type.
    options = result.output.partition("Options")[2]
    assert "<str>" not in options and "<float>" not in options, options


def _loaded(code: str, env: dict[str, str] | None = None) -> list[str]:
    """The heavy top-level packages a fresh interpreter holds after running the code."""
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env
    ).stdout
    return [m for m in json.loads(out.splitlines()[-1]) if m in HEAVY]


def test_help_loads_no_service() -> None:
    assert _loaded("import forewarn.services.cli.main") == []


def test_list_loads_the_store_but_not_the_bus_or_alembic(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("FOREWARN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("FOREWARN_DATABASE_URL", raising=False)
    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
    env = {**os.environ}
    run_list = "from forewarn.services.cli.main import app\napp(['list'], standalone_mode=False)"
    assert _loaded(run_list, env) == ["sqlalchemy", "sqlmodel"]


def test_the_shell_completes_commands_and_options() -> None:
    forewarn = os.path.join(os.path.dirname(sys.executable), "forewarn")

    def complete(words: str) -> list[str]:
        env = os.environ | {
            "_FOREWARN_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - 1),
        }
        done = subprocess.run([forewarn], env=env, capture_output=True, text=True, timeout=60)
        return done.stdout.split()

    assert complete("forewarn resch") == ["reschedule"]
    assert {"--state", "--site"} <= set(complete("forewarn list --s"))
    script = subprocess.run(
        [forewarn, "--show-completion", "bash"], capture_output=True, text=True, timeout=60
    )
    assert "_forewarn_completion" in script.stdout
