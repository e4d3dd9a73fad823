"""forewarn over TLS to NATS, with a CA and certificates the test makes itself."""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme

from forewarn.services.bus.stream import MAX_PAYLOAD
from forewarn.services.inventory.load import load_inventory
from forewarn.services.platform.db import create_db_engine
from forewarn.services.runtime.migrate import upgrade
from forewarn.services.runtime.stack import Stack

from ..conftest import EXAMPLES, NatsServer
from ..integration.conftest import cli_json, run_cli

pytestmark = pytest.mark.integration


@pytest.fixture
def tls_server(tmp_path: Path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "server.pem"))
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    pem = tmp_path / "server.pem"
    config = f'max_payload: {MAX_PAYLOAD}\ntls {{ cert_file: "{pem}", key_file: "{pem}" }}\n'
    server = NatsServer(tmp_path / "nats", config=config)
    server.start()
    yield server, tmp_path / "ca.pem"
    server.stop()


async def test_services_and_cli_work_over_tls_and_plain_text_is_refused(
    tls_server, tmp_path, monkeypatch
) -> None:
    server, ca_file = tls_server
    db = f"sqlite:///{tmp_path / 'forewarn.db'}"
    engine = create_db_engine(db)
    upgrade(engine)
    load_inventory(engine=engine, path=EXAMPLES / "inventory.yaml")
    engine.dispose()
    settings = {
        "FOREWARN_NATS_URL": server.url,
        "FOREWARN_DATABASE_URL": db,
        "FOREWARN_DATA_DIR": str(tmp_path / "data"),
        "FOREWARN_NATS_CA_FILE": str(ca_file),
    }
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    stack = Stack(["scheduler", "impact"])
    await stack.start()
    try:
        booked = await cli_json(
            "book", "--title", "Over TLS", "--impact", "outage", "--start", "+1h", "--duration", "1h",
            "--hosts", "sto1-cmp-01",
        )  # fmt: skip
        assert booked["status"] == "scheduled"
        # Without the CA the certificate cannot be verified: one clear line, exit 1.
        monkeypatch.setenv("FOREWARN_NATS_CA_FILE", "")
        result = await run_cli("tail")
        assert result.code == 1 and "cannot reach NATS" in result.err and "Traceback" not in result.err
    finally:
        await stack.stop()
