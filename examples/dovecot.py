"""A throw-away IMAP server for the demo and the tests: Debian's Dovecot, on a free port, one mailbox user.

`make mailserver` installs it. Started in the foreground with a config of its
own in a temporary folder, so it touches nothing of a system Dovecot.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

CONFIG = """\
base_dir = {home}/run
state_dir = {home}/state
log_path = {home}/dovecot.log
instance_name = forewarn-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{home}/mail/%u
default_internal_user = {internal}
default_internal_group = {internal}
default_login_user = {login}
first_valid_uid = 0
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {home}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}/home/%u
}}
"""


@dataclass
class Dovecot:
    """A running dovecot with one mailbox user."""

    home: Path
    port: int
    user: str
    password: str
    process: subprocess.Popen

    def log(self) -> str:
        path = self.home / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.home, ignore_errors=True)


def start_dovecot(user: str, password: str) -> Dovecot:
    """Start dovecot in the foreground; as root its processes run as Debian's dovecot users."""
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    if not Path(binary).exists():
        raise FileNotFoundError(
            "dovecot is not installed: the replies tests need Debian's dovecot-imapd "
            "(`make mailserver`, or `apt-get install dovecot-imapd`)"
        )
    # Not under pytest's tmp_path: dovecot's unprivileged processes must be able to reach it.
    home = Path(tempfile.mkdtemp(prefix="forewarn-dovecot-"))
    home.chmod(0o755)
    if os.getuid() == 0:
        internal, login = "dovecot", "dovenull"
        owner = pwd.getpwnam("dovecot")
    else:
        internal = login = pwd.getpwuid(os.getuid()).pw_name
        owner = pwd.getpwuid(os.getuid())
    for sub in ("run", "state", "mail", "home"):
        (home / sub).mkdir()
    for sub in ("mail", "home"):
        os.chown(home / sub, owner.pw_uid, owner.pw_gid)
    port = _free_port()
    (home / "passwd").write_text(f"{user}:{{PLAIN}}{password}\n")
    (home / "dovecot.conf").write_text(
        CONFIG.format(
            home=home, port=port, internal=internal, login=login, uid=owner.pw_uid, gid=owner.pw_gid
        )
    )
    process = subprocess.Popen(
        [binary, "-F", "-c", str(home / "dovecot.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    server = Dovecot(home, port, user, password, process)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited: {process.stderr.read().decode()} {server.log()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"dovecot did not listen on {port}: {server.log()}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
