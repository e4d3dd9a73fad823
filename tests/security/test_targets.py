"""A tenant's webhook cannot reach the operator's own network, however its address is written."""

from __future__ import annotations

import pytest

from ..unit.test_webhook_targets import REFUSED
from .conftest import Bus

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="package")]


async def test_webhook_add_refuses_every_embedding_of_a_private_address(bus: Bus) -> None:
    for url in [*REFUSED[:8], "http://192.0.0.8/", "http://[2606:4700::1111]:0/"]:
        code, out, err = await bus.fleet.cli("webhook", "add", "t000", url)
        assert code == 2 and "URL:" in err and "Traceback" not in err, (url, err)
    code, out, err = await bus.fleet.cli("webhook", "list", "--json")
    assert code == 0 and out.strip() == "[]", out
