"""compose.yaml, checked without Docker: commands, settings, secrets, health and the NATS config."""

from __future__ import annotations

import os
import re
import subprocess
from importlib.metadata import version as package_version
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from forewarn.services.bus.accounts import ADMIN, USERS
from forewarn.services.bus.embedded import nats_server_binary
from forewarn.services.cli.main import app
from forewarn.services.impact.settings import ImpactSettings
from forewarn.services.inventory.settings import InventorySettings
from forewarn.services.notifier.settings import NotifierSettings
from forewarn.services.platform.config import CommonSettings
from forewarn.services.platform.names import SERVICES
from forewarn.services.replies.settings import RepliesSettings
from forewarn.services.reporter.settings import ReporterSettings
from forewarn.services.scheduler.settings import SchedulerSettings
from forewarn.services.statuspage.settings import StatusSettings
from forewarn.services.webhooks.settings import WebhookSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
ALL = COMPOSE["services"]
FOREWARN = "forewarn"  # the image's own, on its PATH
# Each container running forewarn, and the one Settings class its command reads.
SETTINGS = {
    "scheduler": SchedulerSettings,
    "impact": ImpactSettings,
    "notifier": NotifierSettings,
    "reporter": ReporterSettings,
    "statuspage": StatusSettings,
    "inventory": InventorySettings,
    "replies": RepliesSettings,
}
OURS = {name: spec for name, spec in ALL.items() if spec.get("entrypoint") == [FOREWARN]}


def settings_for(command: list[str]) -> type[CommonSettings]:
    return SETTINGS[command[1]] if command[0] == "run" else CommonSettings


def variables(settings: type[CommonSettings]) -> set[str]:
    return {f"FOREWARN_{name.upper()}" for name in settings.model_fields}


def test_every_forewarn_command_exists() -> None:
    assert set(OURS) >= {*SERVICES, "migrate", "nats-config", "cli"}
    for name, spec in OURS.items():
        command = spec.get("command")
        if command is None:
            continue  # `docker compose run cli ARGS` gives its own
        result = CliRunner().invoke(app, [*command, "--help"])
        assert result.exit_code == 0, (name, command, result.output)
        if command[0] == "run":
            assert command[1] in SERVICES and command[1] == name, (name, command)


def test_every_variable_set_is_one_the_settings_read() -> None:
    for name, spec in OURS.items():
        readable = variables(settings_for(spec.get("command") or ["cli"]))
        if not spec.get("command"):
            readable |= variables(WebhookSettings)  # `forewarn webhook add` and `rotate` seal secrets
        unknown = set(spec.get("environment") or {}) - readable
        assert not unknown, f"{name} sets {sorted(unknown)}, which nothing in it reads"
    server_side = {user.env for user in (*USERS, ADMIN)}
    for node in ("nats-1", "nats-2", "nats-3"):
        assert set(ALL[node]["environment"]) == server_side


def test_secrets_are_required_and_each_service_has_its_own_nats_user() -> None:
    required = re.compile(r"\$\{(\w+):\?[^}]*\}")
    for name, spec in ALL.items():
        for key, value in (spec.get("environment") or {}).items():
            if "NATS_PASSWORD" in key or key == "POSTGRES_PASSWORD" or key == "FOREWARN_DATABASE_URL":
                assert required.search(str(value)), f"{name}: {key} must be ${{VAR:?}}, not {value!r}"
    for name in (*SERVICES, "cli"):
        env = ALL[name]["environment"]
        assert env["FOREWARN_NATS_USER"] == f"forewarn-{name}"
        assert (
            required.fullmatch(env["FOREWARN_NATS_PASSWORD"]).group(1)
            == f"FOREWARN_NATS_PASSWORD_{name.upper()}"
        )


def test_long_running_services_have_health_checks_and_real_dependencies() -> None:
    for name, spec in ALL.items():
        for needed in spec.get("depends_on") or {}:
            assert needed in ALL, f"{name} depends on {needed}, which does not exist"
        if spec.get("restart") == "no":
            continue  # one-shot jobs
        assert spec.get("healthcheck") and not spec["healthcheck"].get("disable"), (
            f"{name} has no health check"
        )
    for name in SERVICES:
        env, check = ALL[name]["environment"], " ".join(ALL[name]["healthcheck"]["test"])
        assert (
            f":{env['FOREWARN_METRICS_PORT']}/health" in check and env["FOREWARN_METRICS_HOST"] == "0.0.0.0"
        )


def test_the_cluster_has_three_nodes_and_several_notifiers() -> None:
    assert ALL["notifier"]["deploy"]["replicas"] >= 2
    assert ALL["notifier"]["environment"]["FOREWARN_STREAM_REPLICAS"] == "3"
    routes = {arg.split("//")[1].split(":")[0] for arg in ALL["nats-config"]["command"] if "route" in arg}
    assert routes == {"nats-1", "nats-2", "nats-3"}
    urls = ALL["scheduler"]["environment"]["FOREWARN_NATS_URL"].split(",")
    assert [u.split("//")[1].split(":")[0] for u in urls] == ["nats-1", "nats-2", "nats-3"]


def test_the_generated_nats_config_parses(tmp_path: Path) -> None:
    command = ALL["nats-config"]["command"]
    [out] = [arg.split("=", 1)[1] for arg in command if arg.startswith("--out=")]
    # The nodes read the file the one-shot writes, from the volume both mount.
    for node in ("nats-1", "nats-2", "nats-3"):
        assert ALL[node]["command"][:2] == ["-c", out]
        assert any(v.startswith("nats-config:" + str(Path(out).parent)) for v in ALL[node]["volumes"])
    local = tmp_path / "nats.conf"
    args = [f"--out={local}" if arg.startswith("--out=") else arg for arg in command]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    env = os.environ | {user.env: f"fw{user.name}secret" for user in (*USERS, ADMIN)}
    checked = subprocess.run(
        [nats_server_binary(), "-t", "-c", str(local), "-n", "nats-1"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "cluster" in local.read_text() and "http: 0.0.0.0:8222" in local.read_text()


@pytest.mark.parametrize("name", sorted(OURS))
def test_each_container_runs_forewarns_image_read_only(name: str) -> None:
    """The image `make image` builds (tests/deploy/test_image.py runs it), nothing installed at start."""
    # The tag `make image` gives this release: a new version needs compose.yaml to follow.
    assert ALL[name]["image"] == f"${{FOREWARN_IMAGE:-localhost/forewarn:{package_version('forewarn')}}}"
    assert ALL[name]["read_only"] is True
    assert "install" not in ALL and "install" not in (ALL[name].get("depends_on") or {})
    assert not any("/opt/forewarn" in volume for volume in ALL[name].get("volumes", []))


def test_the_other_images_are_variables_defaulting_to_the_official_ones() -> None:
    for name, variable in (
        ("nats-1", "NATS_IMAGE"),
        ("postgres", "POSTGRES_IMAGE"),
        ("mailpit", "MAILPIT_IMAGE"),
    ):
        assert ALL[name]["image"].startswith(f"${{{variable}:-docker.io/"), ALL[name]["image"]
