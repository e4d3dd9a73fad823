"""The Kubernetes manifests, rendered as an operator renders them and validated against the API.

The example overlay is copied, its secrets made the way the README says
(`forewarn nats-config --passwords`), rendered with `kubectl kustomize`, and
every object validated, strictly, against the schemas of the Kubernetes
versions Talos Linux ships. Then what the schemas cannot know: each service
runs a real command, logs in as its own NATS user, reads only variables its
Settings class has, is probed on /health/live and /health/ready, runs as
non-root on a read-only root; only the status page takes connections from
outside; NATS keeps three replicas and the streams R3.
"""

from __future__ import annotations

import subprocess

import kubernetes_validate
import pytest

from forewarn.services.bus.accounts import ADMIN, USERS

from ..unit.test_compose_file import SETTINGS, variables
from .kube import FOREWARN, KUBERNETES, of_kind, passwords, render

# What Talos Linux 1.10 to 1.12 run (each supports several Kubernetes releases).
TALOS_KUBERNETES = ("1.32.0", "1.33.0", "1.34.0", "1.35.0")
NATS_CONFIG = [
    "nats-config", "--name", "$SERVER_NAME", "--http", "0.0.0.0:8222", "--store-dir", "/data/jetstream",
    *(arg for n in range(3) for arg in ("--route", f"nats-route://nats-{n}.nats:6222")),
]  # fmt: skip


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    database = {"FOREWARN_DATABASE_URL": "postgresql://forewarn:pw@db.example.net/forewarn"}
    return render(tmp_path_factory.mktemp("kubernetes"), passwords(), database)


@pytest.mark.parametrize("version", TALOS_KUBERNETES)
def test_every_object_is_valid_for_the_kubernetes_talos_ships(rendered: list[dict], version: str) -> None:
    for doc in rendered:
        kubernetes_validate.validate(doc, version, strict=True)


def test_the_nats_configuration_is_what_forewarn_nats_config_writes() -> None:
    current = subprocess.run([FOREWARN, *NATS_CONFIG], capture_output=True, text=True, check=True).stdout
    assert (KUBERNETES / "base" / "nats.conf").read_text() == current, (
        f"run `forewarn {' '.join(NATS_CONFIG)} --out deploy/kubernetes/base/nats.conf`"
    )


def test_each_service_is_its_own_user_probed_and_locked_down(rendered: list[dict]) -> None:
    deployments = of_kind(rendered, "Deployment")
    assert set(deployments) == {"scheduler", "impact", "notifier", "reporter", "statuspage"}
    [config] = [doc for doc in rendered if doc["kind"] == "ConfigMap" and "FOREWARN_NATS_URL" in doc["data"]]
    budgets = {doc["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] for doc in rendered
               if doc["kind"] == "PodDisruptionBudget"}  # fmt: skip
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        [container] = pod["containers"]
        assert container["args"] == ["run", name]
        env = {item["name"]: item for item in container["env"]}
        assert env["FOREWARN_NATS_USER"]["value"] == f"forewarn-{name}"
        key = env["FOREWARN_NATS_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"]
        assert key == f"FOREWARN_NATS_PASSWORD_{name.upper()}"
        unread = set(env) - variables(SETTINGS[name])
        assert not unread, f"{name} is given {sorted(unread)}, which it does not read"
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["image"] == "registry.example.net/forewarn:0.1.0"
        if deployment["spec"]["replicas"] > 1:
            assert name in budgets, f"{name} scales but has no PodDisruptionBudget"
    # The configuration all share: each variable is one some service reads (no typo goes unseen).
    unknown = set(config["data"]) - set().union(*(variables(settings) for settings in SETTINGS.values()))
    assert not unknown, f"config.env sets {sorted(unknown)}, which no service reads"
    [job] = of_kind(rendered, "Job").values()
    assert job["spec"]["template"]["spec"]["containers"][0]["args"][:2] == ["db", "upgrade"]


def test_nats_is_three_nodes_with_every_users_password(rendered: list[dict]) -> None:
    [nats] = of_kind(rendered, "StatefulSet").values()
    assert nats["spec"]["replicas"] == 3
    [config] = [doc for doc in rendered if doc["kind"] == "ConfigMap" and "FOREWARN_NATS_URL" in doc["data"]]
    assert config["data"]["FOREWARN_STREAM_REPLICAS"] == "3"
    [passwords] = [
        doc for doc in rendered if doc["kind"] == "Secret" and doc["metadata"]["name"].startswith("nats")
    ]
    assert set(passwords["data"]) == {user.env for user in (*USERS, ADMIN)}


def test_only_the_status_page_takes_connections_from_outside(rendered: list[dict]) -> None:
    policies = of_kind(rendered, "NetworkPolicy").values()
    deny = [p for p in policies if p["spec"]["podSelector"] == {} and "ingress" not in p["spec"]]
    assert deny, "no default-deny ingress policy"
    open_to_all = [
        p["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name")
        for p in policies
        if any("from" not in rule for rule in p["spec"].get("ingress", []))
    ]
    assert open_to_all == ["statuspage"]
