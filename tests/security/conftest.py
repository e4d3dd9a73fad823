"""A nats-server run as production runs it: forewarn's users, each with only its own rights."""

from __future__ import annotations

import asyncio
from pathlib import Path

import nats
import pytest

from forewarn.services.bus.accounts import ADMIN, USERS, new_password, server_config

from ..conftest import NatsServer


def production_server(folder: Path) -> NatsServer:
    """A started nats-server with the configuration `forewarn nats-config` writes, and its passwords."""
    passwords = {user.name: new_password() for user in (*USERS, ADMIN)}
    config = server_config(listen="127.0.0.1:4222", store_dir=str(folder / "js"))
    running = NatsServer(
        folder / "nats", config=config, env={user.env: passwords[user.name] for user in (*USERS, ADMIN)}
    )
    running.start()
    running.passwords = passwords
    return running


@pytest.fixture
def server(tmp_path: Path):
    running = production_server(tmp_path)
    yield running
    running.stop()


async def connect(server: NatsServer, name: str, password: str | None = None, **options):
    """Log in as forewarn-NAME; a refused login raises at once instead of retrying."""
    return await asyncio.wait_for(
        nats.connect(
            server.url,
            user=f"forewarn-{name}",
            password=password or server.passwords[name],
            allow_reconnect=False,
            connect_timeout=2,
            **options,
        ),
        timeout=5,
    )


def as_user(name: str, passwords: dict[str, str]) -> dict[str, str]:
    return {"FOREWARN_NATS_USER": f"forewarn-{name}", "FOREWARN_NATS_PASSWORD": passwords[name]}
