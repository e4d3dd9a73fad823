"""A three-node JetStream cluster on loopback: three nats-server processes with routes."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

import nats

from forewarn.services.bus.embedded import nats_server_binary
from forewarn.services.bus.stream import MAX_PAYLOAD

from ..integration.smtp import free_port

NAMES = ("n1", "n2", "n3")


class NatsCluster:
    """Each node has its own client port, route port and store; all three route to each other."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.ports = {name: (free_port(), free_port()) for name in NAMES}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def url(self) -> str:
        """Every node, comma-separated: what FOREWARN_NATS_URL takes."""
        return ",".join(f"nats://127.0.0.1:{client}" for client, _ in self.ports.values())

    def config(self, name: str) -> Path:
        client, route = self.ports[name]
        routes = ", ".join(f"nats-route://127.0.0.1:{r}" for _, r in self.ports.values())
        path = self.workdir / f"{name}.conf"
        path.write_text(
            f"server_name: {name}\n"
            f"listen: 127.0.0.1:{client}\n"
            f"max_payload: {MAX_PAYLOAD}\n"
            f"jetstream {{ store_dir: {self.workdir / name} }}\n"
            f"cluster {{ name: forewarn, listen: 127.0.0.1:{route}, routes: [{routes}] }}\n"
        )
        return path

    async def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for name in NAMES:
            log = (self.workdir / f"{name}.log").open("ab")
            self.processes[name] = subprocess.Popen(
                [nats_server_binary(), "-c", str(self.config(name))], stdout=log, stderr=log
            )
        await self._wait_for_jetstream()

    async def _wait_for_jetstream(self, timeout: float = 30) -> None:
        """Until the cluster has elected its JetStream meta leader."""
        nc = await nats.connect(self.url.split(","))
        try:
            deadline = asyncio.get_running_loop().time() + timeout
            while True:
                try:
                    await nc.jetstream().account_info()
                    return
                except Exception:
                    if asyncio.get_running_loop().time() > deadline:
                        raise
                    await asyncio.sleep(0.25)
        finally:
            await nc.close()

    async def stream_info(self, stream: str):
        nc = await nats.connect(self.url.split(","))
        try:
            return await nc.jetstream().stream_info(stream)
        finally:
            await nc.close()

    def kill(self, name: str) -> None:
        """SIGKILL one node."""
        self.processes[name].send_signal(signal.SIGKILL)
        self.processes[name].wait()

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
