"""The example Kubernetes overlay, copied and rendered as an operator renders theirs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
FOREWARN = str(Path(sys.executable).with_name("forewarn"))


def passwords() -> dict[str, str]:
    """A fresh password for each NATS user, as `forewarn nats-config --passwords` prints them."""
    made = subprocess.run(
        [FOREWARN, "nats-config", "--passwords"], capture_output=True, text=True, check=True
    )
    exports = [
        line.removeprefix("export ").split()[0]
        for line in made.stderr.splitlines()
        if line.startswith("export ")
    ]
    return dict(export.split("=", 1) for export in exports)


def render(
    folder: Path, nats_passwords: dict[str, str], secrets: dict[str, str], **choices: dict[str, str]
) -> list[dict]:
    """The example overlay rendered with `kubectl kustomize`, after an operator's choices:
    `config` (variables set in config.env) and `image` (kustomize's newName and newTag)."""
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is missing: `make kubernetes` installs it (Debian's kubernetes-client)"
    tree = folder / "kubernetes"
    shutil.copytree(KUBERNETES, tree)
    overlay = tree / "overlays" / "example"
    (overlay / "nats-passwords.env").write_text(_env(nats_passwords))
    (overlay / "secrets.env").write_text(_env(secrets))
    if config := choices.get("config"):
        current = dict(line.split("=", 1) for line in (overlay / "config.env").read_text().splitlines())
        (overlay / "config.env").write_text(_env(current | config))
    if image := choices.get("image"):
        kustomization = yaml.safe_load((overlay / "kustomization.yaml").read_text())
        kustomization["images"] = [{"name": "forewarn", **image}]
        (overlay / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    done = subprocess.run([kubectl, "kustomize", str(overlay)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def of_kind(rendered: list[dict], kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in rendered if doc["kind"] == kind}


def _env(values: dict[str, str]) -> str:
    return "".join(f"{key}={value}\n" for key, value in values.items())
