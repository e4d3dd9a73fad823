"""The test cloud's installer leaves the host as it found it: its policy-rc.d holds only while it installs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

CLOUD = Path(__file__).resolve().parents[1] / "openstack" / "cloud.sh"


def _install(tmp_path: Path, *, apt_fails: bool = False) -> tuple[subprocess.CompletedProcess, Path, Path]:
    """cloud.sh install with apt-get and debconf stood in for: they note whether the policy held."""
    bin_dir, policy, seen = tmp_path / "bin", tmp_path / "policy-rc.d", tmp_path / "seen"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "apt-get").write_text(
        f'#!/bin/sh\n[ "$1" = install ] && {{ test -x {policy} && echo held >> {seen}; }}\n'
        + ("exit 100\n" if apt_fails else "exit 0\n")
    )
    (bin_dir / "debconf-set-selections").write_text("#!/bin/sh\ncat >/dev/null\n")
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    env = os.environ | {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "FOREWARN_POLICY_RC": str(policy),
        "FOREWARN_REINSTALL": "1",
    }
    done = subprocess.run(
        ["bash", str(CLOUD), "install"], env=env, capture_output=True, text=True, timeout=60
    )
    return done, policy, seen


@pytest.mark.parametrize("apt_fails", [False, True])
def test_the_policy_holds_while_the_packages_install_and_is_gone_after(
    tmp_path: Path, apt_fails: bool
) -> None:
    done, policy, seen = _install(tmp_path, apt_fails=apt_fails)
    assert (done.returncode != 0) is apt_fails, done.stderr
    assert "held" in seen.read_text(), "packages' scripts could have started daemons"
    assert not policy.exists(), "the host keeps the policy, and later packages never start"


def test_a_policy_the_host_had_before_is_left_as_it_was(tmp_path: Path) -> None:
    policy = tmp_path / "policy-rc.d"
    policy.write_text("#!/bin/sh\n# the host's own\nexit 101\n")
    policy.chmod(0o755)
    done, _, _ = _install(tmp_path)
    assert done.returncode == 0 and policy.read_text() == "#!/bin/sh\n# the host's own\nexit 101\n"
