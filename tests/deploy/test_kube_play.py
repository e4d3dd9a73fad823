"""The Kubernetes manifests' pods, run with `podman kube play`, and a window booked through them.

The example overlay is rendered as an operator would for this machine (the image
`make image` builds; NATS, PostgreSQL and a mail catcher of the test's own), then
the migrations Job and the services' Deployments run as podman runs them: as the
manifests' user (10001, non-root), on a read-only root with every capability
dropped, with their own arguments, NATS users and passwords. The inventory is
loaded and a window booked as the CLI's user; the invitation reaches the catcher,
and the status page shows the window.

What podman (4.3 here) cannot play is left out and said: its kube play knows Pods,
Deployments and PersistentVolumeClaims, so the NATS StatefulSet, Services and
NetworkPolicies are not run (one NATS node stands in for the cluster, with R1
streams); Secrets and ConfigMaps are given to the pods as the values they hold;
each Deployment runs one replica; container ports are not published (podman would
put each on the host, where all five want 9090) and probes do not run (podman turns
them into health checks that it schedules only under systemd).
"""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from ..integration.smtp import free_port
from .containers import ROOT, other_image, podman, until
from .kube import FOREWARN, of_kind, passwords, render

pytestmark = pytest.mark.integration
PAGE = "/api/v2/scheduled-maintenances.json"


def for_podman(rendered: list[dict]) -> tuple[dict, list[dict]]:
    """The migrations as a Pod, and the Deployments, with every reference resolved to its value."""
    values = {("ConfigMap", name): doc["data"] for name, doc in of_kind(rendered, "ConfigMap").items()}
    values |= {
        ("Secret", name): {key: base64.b64decode(value).decode() for key, value in doc["data"].items()}
        for name, doc in of_kind(rendered, "Secret").items()
    }
    [job] = of_kind(rendered, "Job").values()
    migrate = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": job["metadata"]["name"],
            "labels": job["spec"]["template"]["metadata"]["labels"],
        },
        "spec": job["spec"]["template"]["spec"] | {"restartPolicy": "Never"},
    }
    deployments = [copy.deepcopy(doc) for doc in of_kind(rendered, "Deployment").values()]
    for deployment in deployments:
        deployment["spec"]["replicas"] = 1
    for spec in [migrate["spec"], *(d["spec"]["template"]["spec"] for d in deployments)]:
        for container in spec["containers"]:
            _resolve(container, values)
            # podman publishes every containerPort on the host (all five want 9090), and
            # schedules probes only under systemd: a Service and the kubelet do these.
            for field in ("ports", "livenessProbe", "readinessProbe"):
                container.pop(field, None)
    return copy.deepcopy(migrate), deployments


def _resolve(container: dict, values: dict) -> None:
    env = {}
    for source in container.pop("envFrom", []):
        [(kind, ref)] = [(k, v) for k, v in (("ConfigMap", source.get("configMapRef")),
                                              ("Secret", source.get("secretRef"))) if v]  # fmt: skip
        env |= values[(kind, ref["name"])]
    for item in container.get("env", []):
        if "valueFrom" in item:
            ref = item["valueFrom"].get("secretKeyRef") or item["valueFrom"]["configMapKeyRef"]
            kind = "Secret" if "secretKeyRef" in item["valueFrom"] else "ConfigMap"
            env[item["name"]] = values[(kind, ref["name"])][ref["key"]]
        else:
            env[item["name"]] = item["value"]
    container["env"] = [{"name": name, "value": value} for name, value in env.items()]


@dataclass
class Played:
    network: str
    folder: Path
    catcher: str
    cli_env: dict[str, str]  # the CLI's login, as an operator's workstation has it

    def cli(self, image: str, *args: str) -> str:
        return podman("run", "--rm", "--network", self.network, "--read-only",
                      "--volume", f"{ROOT / 'examples'}:/examples:ro",
                      *(arg for key, value in self.cli_env.items() for arg in ("--env", f"{key}={value}")),
                      image, *args, timeout=240).stdout  # fmt: skip


@pytest.fixture(scope="module")
def played(image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Played]:
    """NATS, PostgreSQL and the catcher beside the pods, and the manifests rendered for them."""
    folder = tmp_path_factory.mktemp("kube-play")
    network, nats, postgres, mail = (
        f"forewarn-kube-{os.getpid()}-{part}" for part in ("net", "nats", "pg", "mail")
    )
    nats_passwords, db_password, catcher_port = passwords(), "kube-play-db-password", free_port()
    database = f"postgresql://forewarn:{db_password}@{postgres}:5432/forewarn"
    nats_url = f"nats://{nats}:4222"
    config = {
        "FOREWARN_NATS_URL": nats_url, "FOREWARN_STREAM_REPLICAS": "1", "FOREWARN_MIN_LEAD": "0s",
        "FOREWARN_SMTP_HOST": mail, "FOREWARN_SMTP_PORT": "1025", "FOREWARN_SMTP_TLS": "none",
    }  # fmt: skip
    name, tag = image.rsplit(":", 1)
    rendered = render(folder, nats_passwords, {"FOREWARN_DATABASE_URL": database},
                      config=config, image={"newName": name, "newTag": tag})  # fmt: skip
    migrate, deployments = for_podman(rendered)
    (folder / "migrate.yaml").write_text(yaml.safe_dump(migrate))
    (folder / "services.yaml").write_text(yaml.safe_dump_all(deployments))
    conf = folder / "nats.conf"
    subprocess.run(
        [FOREWARN, "nats-config", "--store-dir", "/data/jetstream", "--out", str(conf)], check=True
    )
    conf.chmod(0o644)
    on_network = ["run", "--detach", "--network", network]
    database_env = ["--env", "POSTGRES_USER=forewarn", "--env", "POSTGRES_DB=forewarn",
                    "--env", f"POSTGRES_PASSWORD={db_password}"]  # fmt: skip
    try:
        podman("network", "create", network)
        podman(*on_network, "--name", nats, "--volume", f"{conf}:/etc/nats/nats.conf:ro",
               *(arg for key, value in nats_passwords.items() for arg in ("--env", f"{key}={value}")),
               other_image("NATS_IMAGE", "nats"), "-c", "/etc/nats/nats.conf")  # fmt: skip
        podman(*on_network, "--name", postgres, *database_env, other_image("POSTGRES_IMAGE", "postgres"))
        catcher = other_image("MAILPIT_IMAGE", "mailpit")
        podman(*on_network, "--name", mail, "--publish", f"{catcher_port}:8025", catcher)
        cli_password = nats_passwords["FOREWARN_NATS_PASSWORD_CLI"]
        cli_env = {
            "FOREWARN_NATS_URL": nats_url, "FOREWARN_DATABASE_URL": database,
            "FOREWARN_NATS_USER": "forewarn-cli", "FOREWARN_NATS_PASSWORD": cli_password,
        }  # fmt: skip
        yield Played(network, folder, f"http://127.0.0.1:{catcher_port}", cli_env)
    finally:
        for kube_file in ("services.yaml", "migrate.yaml"):
            podman("kube", "down", str(folder / kube_file), check=False)
        podman("rm", "--force", nats, postgres, mail, check=False)
        podman("network", "rm", "--force", network, check=False)


def test_the_manifests_pods_migrate_and_book_a_window(played: Played, image: str) -> None:
    # The Job's pod first, as a rollout runs it before the Deployments.
    podman("kube", "play", "--network", played.network, str(played.folder / "migrate.yaml"), timeout=300)
    code = podman("wait", "migrate-migrate", timeout=200).stdout.strip()
    assert code == "0", podman("logs", "migrate-migrate", check=False).stderr[-3000:]
    podman("kube", "play", "--network", played.network, str(played.folder / "services.yaml"), timeout=300)
    try:
        played.cli(image, "wait", "--timeout", "3m")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{_logs()}") from None
    played.cli(image, "inventory", "load", "/examples/inventory.yaml")
    booking = ["--title", "Kernel update", "--impact", "outage", "--hosts", "sto1-cmp-01"]
    booked = json.loads(played.cli(image, "book", *booking, "--start", "+2h", "--duration", "1h", "--json"))
    assert booked["affected"], booked
    until(lambda: [m for m in _mails(played.catcher) if "Kernel update" in m["Subject"]])
    # Not published by podman (a Service would): asked from inside its pod.
    ask = "import urllib.request as u; print(u.urlopen('http://127.0.0.1:8080' + PAGE).read().decode())"
    page = podman("exec", "statuspage-pod-0-forewarn", "python3", "-c", f"PAGE = {PAGE!r}; {ask}")
    assert [w["status"] for w in json.loads(page.stdout)["scheduled_maintenances"]] == ["scheduled"]


def _mails(catcher: str) -> list[dict]:
    with urllib.request.urlopen(f"{catcher}/api/v1/messages", timeout=5) as answer:
        return json.loads(answer.read())["messages"]


def _logs() -> str:
    names = podman("ps", "--all", "--format", "{{.Names}}").stdout.split()
    return "\n".join(f"== {n}\n{podman('logs', '--tail', '10', n, check=False).stderr}" for n in names)
