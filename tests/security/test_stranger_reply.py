"""A stranger's calendar answer, through the real mailbox, read by the replies reader's own login.

The UID `<window>.<tenant>@<provider>` is on every contact's invitation, so
anyone a contact forwards it to can answer it. Before, the reader took such an
answer for the tenant's (the attendee as it wrote): an ACCEPTED made `forewarn
show` say acknowledged, and the escalation never went out. Now it counts for
nothing and is set aside; a contact's own answer still counts.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

import pytest
from imapclient import IMAPClient

from examples.dovecot import start_dovecot

from .. import calendar_replies as mails
from ..calendar_replies import Invited
from .conftest import Bus, as_user

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="package")]
ORGANIZER = "maintenance@cloud.example.net"


async def test_a_strangers_answer_counts_for_nothing(bus: Bus) -> None:
    dovecot = start_dovecot(ORGANIZER, "imap-test-password")
    try:
        window_id = await bus.book()
        code, out, err = await bus.fleet.cli("show", window_id, "--json")
        assert code == 0, err
        shown = json.loads(out)
        invited = Invited(
            uid=f"{window_id}.t002@cloud.example.net", sequence=shown["revision"],
            start=datetime.fromisoformat(shown["start"]), end=datetime.fromisoformat(shown["end"]),
            summary="Kernel update", attendee="stranger@evil.example",
        )  # fmt: skip
        box = IMAPClient("127.0.0.1", port=dovecot.port, ssl=False)
        box.login(dovecot.user, dovecot.password)
        box.append("INBOX", mails.thunderbird(invited, "ACCEPTED"))
        imap = {
            "FOREWARN_IMAP_HOST": "127.0.0.1", "FOREWARN_IMAP_PORT": str(dovecot.port),
            "FOREWARN_IMAP_TLS": "none", "FOREWARN_IMAP_USERNAME": dovecot.user,
            "FOREWARN_IMAP_PASSWORD": dovecot.password, "FOREWARN_IMAP_IDLE": "1s",
        }  # fmt: skip
        await bus.fleet.start("replies", env={"replies": as_user("replies", bus.server.passwords) | imap})
        await _arrives(box, "forewarn-strangers", 1)
        # A contact's own answer after it is read and counted: the reader works, the stranger's did not.
        box.append("INBOX", mails.thunderbird(Invited(**{**invited.__dict__, "attendee": "ops@t003.example",
                                                           "uid": f"{window_id}.t003@cloud.example.net"}),
                                              "ACCEPTED"))  # fmt: skip
        await _arrives(box, "forewarn-answers", 1)
        box.logout()
        answers = await _answers(bus, window_id)
        assert answers["acknowledged"] == ["t003"], answers
        assert "t002" in answers["no_answer"]
    finally:
        await bus.fleet.services["replies"].stop()
        dovecot.stop()


async def _arrives(box: IMAPClient, folder: str, count: int, timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        if box.folder_exists(folder):  # the reader makes it when it starts
            box.select_folder(folder)
            if len(box.search()) >= count:
                return
        assert asyncio.get_running_loop().time() < deadline, f"nothing in {folder}"
        await asyncio.sleep(0.3)


async def _answers(bus: Bus, window_id: str, timeout: float = 20) -> dict:
    """`forewarn show`'s answers, once the reporter has recorded the one that counts."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        code, out, err = await bus.fleet.cli("show", window_id, "--json")
        assert code == 0, err
        answers = json.loads(out)["answers"]
        if answers["acknowledged"] or asyncio.get_running_loop().time() > deadline:
            return answers
        await asyncio.sleep(0.3)
