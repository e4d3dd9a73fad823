"""Each login reads only its own inboxes: deliveries and answers meant for another are out of reach.

Before, every login could subscribe to `_INBOX.>`, where pull consumers deliver
and requests are answered: in 25 s the status page's login received whole
BookWindow commands, tenants' webhook CloudEvents and other consumers' names.
Now each login has an inbox prefix of its own (`_INBOX_<login>`), and the server
lets it subscribe there only.
"""

from __future__ import annotations

import asyncio

import pytest

from forewarn.schemas import subjects

from .conftest import SERVICES, Bus

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="package")]
OTHERS = ("_INBOX.>", ">", *(f"{subjects.inbox_prefix(f'forewarn-{name}')}.>" for name in (*SERVICES, "cli")))


@pytest.mark.parametrize("login", ["statuspage", "cli", "notifier"])
async def test_no_login_reads_another_logins_inbox(bus: Bus, login: str) -> None:
    spy = await bus.login(login)
    caught: list[str] = []

    async def keep(msg) -> None:
        caught.append(msg.subject)

    mine = f"{subjects.inbox_prefix(f'forewarn-{login}')}.>"
    for subject in OTHERS:
        if subject != mine:
            await spy.subscribe(subject, cb=keep)
    await spy.flush()
    await asyncio.sleep(0.2)  # the server's -ERR for each arrives on its own
    refused = [r for r in spy.refusals if "permissions violation" in r.lower()]
    assert len(refused) == len(OTHERS) - (mine in OTHERS), spy.refusals
    # A booking runs through every service's consumers and the CLI's request meanwhile.
    await bus.book()
    await spy.close()
    assert caught == [], caught[:5]
