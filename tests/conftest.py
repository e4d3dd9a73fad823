"""Shared fixtures: a real nats-server per session, and a database per test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from forewarn.services.bus.embedded import nats_server_binary
from forewarn.services.bus.stream import MAX_PAYLOAD
from forewarn.services.platform.db import create_db_engine
from forewarn.services.runtime.migrate import upgrade

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PG_URL = os.environ.get("FOREWARN_TEST_DATABASE_URL")


def pytest_configure(config: pytest.Config) -> None:
    # Tests book windows of seconds, to wait seconds on their real timers; the services and
    # CLIs they start inherit this. The guard itself is tested with its default.
    os.environ.setdefault("FOREWARN_MIN_DURATION", "0s")
    # A test that names no FOREWARN_DATA_DIR keeps its state here, not in the user's own
    # data folder (~/.local/share/forewarn), and it goes with the session.
    config.stash[_XDG] = tempfile.mkdtemp(prefix="forewarn-tests-")
    os.environ["XDG_DATA_HOME"] = config.stash[_XDG]


def pytest_unconfigure(config: pytest.Config) -> None:
    if _XDG in config.stash:
        shutil.rmtree(config.stash[_XDG], ignore_errors=True)


_XDG = pytest.StashKey[str]()


class NatsServer:
    """A nats-server child process with JetStream in a temporary folder."""

    def __init__(self, workdir: Path, *, config: str = "", env: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.config = config or f"max_payload: {MAX_PAYLOAD}\n"
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.port = -1  # a free port at the first start; the same one after a restart

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        ports = self.workdir / "ports"
        ports.mkdir(exist_ok=True)
        for stale in ports.glob("*.ports"):
            stale.unlink()
        config = self.workdir / "nats.conf"
        config.write_text(self.config)
        self.process = subprocess.Popen(
            [
                nats_server_binary(),
                "-c",
                str(config),
                "-a",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-js",
                # A configuration of forewarn's own names its store; the flag may not repeat it.
                *([] if "store_dir" in self.config else ["-sd", str(self.workdir / "js")]),
                "--ports_file_dir",
                str(ports),
            ],
            stdout=subprocess.DEVNULL,
            stderr=(self.workdir / "server.log").open("ab"),
            env=self.env,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = list(ports.glob("*.ports"))
            if found and found[0].stat().st_size:
                self.url = json.loads(found[0].read_text())["nats"][0]
                self.port = int(self.url.rsplit(":", 1)[1])
                return
            time.sleep(0.02)
        raise RuntimeError("nats-server did not start")

    def stop(self) -> None:
        """SIGTERM: the server shuts down cleanly, keeping its store for a restart."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path_factory.mktemp("nats"))
    server.start()
    yield server
    server.stop()


def _database_params() -> list:
    pg = pytest.param(
        "postgres",
        marks=pytest.mark.skipif(
            not PG_URL, reason="FOREWARN_TEST_DATABASE_URL is not set: PostgreSQL store tests skipped"
        ),
    )
    return ["sqlite", pg]


@pytest.fixture(scope="session")
def pg_url(testrun_uid: str) -> Iterator[str]:
    """The PostgreSQL database of this test worker: each worker empties its own, side by side.

    Named after the run too, so that two runs on one server (a developer's beside a CI
    run) never share one; it is dropped when the worker is done."""
    assert PG_URL
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        yield PG_URL
        return
    url = make_url(PG_URL)
    name = f"{url.database}_{worker}_{testrun_uid[:8]}"
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture(params=_database_params())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or PostgreSQL emptied before the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'forewarn.db'}"
        return
    url = request.getfixturevalue("pg_url")
    engine = create_db_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """The fresh database, migrated to the current revision as `forewarn db upgrade` does."""
    engine = create_db_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def example_inventory() -> Path:
    return EXAMPLES / "inventory.yaml"


# Tests that share something only one may use at a time run in one worker, one after
# another (`make test` runs `pytest -n 4`): the one OpenStack of the session, the
# embedded bus's fixed port, the production fleet a package shares, the fault runs,
# whose bounds are measured on a machine not also doing the rest, and the image.
GROUPS = {
    "tests/openstack/": "openstack",
    "tests/security/test_default_setup.py": "embedded-port",
    "tests/deploy/test_wheel.py": "embedded-port",
    "tests/integration/test_docs.py": "embedded-port",
    "tests/security/": "security",
    "tests/faults/": "faults",
    "tests/deploy/test_image.py": "image",
    "tests/deploy/test_compose.py": "image",
    "tests/deploy/test_kube_play.py": "image",
}


def group_of(nodeid: str) -> str:
    """The worker's unit a test belongs to: its group, or its module.

    A module's tests stay together, so a module-scoped fixture (a stack, a batch of CLI
    runs) is set up once, not once on each worker that a parametrized test lands on."""
    module = nodeid.split("::", 1)[0]
    return next((name for prefix, name in GROUPS.items() if nodeid.startswith(prefix)), module)


# The longest groups first, so that no worker starts one of them near the end of the run.
# xdist gives each worker two units at the start, in this order, round the workers: the
# four longest go to four workers, and the fifth joins the one with the shortest.
LONGEST_FIRST = ("faults", "image", "openstack", "security", "embedded-port")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        group = group_of(item.nodeid)
        return LONGEST_FIRST.index(group) if group in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: each module keeps its own order


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """Each group, and each other module, to one worker: whichever is free.

    xdist's own `loadgroup` reads a suffix of the node id that pytest 9.2 no longer
    reports, so the groups are scheduled here, as scopes.
    """
    from xdist.scheduler import LoadScopeScheduling

    # Keep the collection's order (the longest groups first): xdist would sort the units
    # by how many tests each holds, and start the OpenStack group's dozen near the end.
    config.option.loadscopereorder = False

    class ByGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    return ByGroup(config, log)
