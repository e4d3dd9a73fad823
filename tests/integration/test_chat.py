"""Ops' chat through Apprise's json:// to a real HTTP receiver: a booking, a start, an objection, the end."""

from __future__ import annotations

import asyncio
import json

import pytest

from forewarn.schemas import msgids, subjects
from forewarn.schemas.answers import Answer, ReplyReceived

from .conftest import cli_json, eventually, running
from .receiver import Receiver
from .smtp import Inbox

pytestmark = pytest.mark.integration


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'forewarn.db'}"


async def test_ops_chat_hears_each_booking_start_objection_and_completion_once(
    env, js, smtp, monkeypatch
) -> None:
    smtp(Inbox())
    chat = Receiver({"/chat": [(200, {})]})
    monkeypatch.setenv("FOREWARN_OPS_NOTIFY", f"json://127.0.0.1:{chat.port}/chat")
    monkeypatch.setenv("FOREWARN_REMINDERS", "")

    def posted() -> list[dict]:
        return [json.loads(body) for _, body in chat.got["/chat"]]

    try:
        async with running("scheduler", "impact", "notifier", "reporter"):
            booked = await cli_json(
                "book", "--title", "Disk swap <b>", "--impact", "outage",
                "--start", "+3s", "--duration", "1h", "--hosts", "sto1-cmp-01",
            )  # fmt: skip
            window_id = booked["id"]
            await eventually(lambda: len(posted()) >= 2, timeout=30)  # booked, then started
            declined = ReplyReceived(
                reply_id="chattest0001", window_id=window_id, revision=1, tenant_id="baltic-retail",
                contact="ops@balticretail.example", answer=Answer.DECLINED, comment="Black Friday sale",
                via="link",
            )  # fmt: skip
            body = declined.model_dump_json().encode()
            once = {"Nats-Msg-Id": msgids.reply(declined.reply_id)}
            await js.publish(subjects.REPLY_RECEIVED, body, headers=once)
            # The same answer again, as after the server's duplicate window: it posts nothing more.
            await js.publish(subjects.REPLY_RECEIVED, body)
            await eventually(lambda: len(posted()) >= 3)
            await cli_json("complete", window_id)
            await eventually(lambda: len(posted()) >= 4, timeout=30)
            await asyncio.sleep(1)
        titles = [p["title"] for p in posted()]
        assert titles == [
            f"Booked: Disk swap <b> ({window_id})",
            f"Started: Disk swap <b> ({window_id})",
            f"baltic-retail declined: Disk swap <b> ({window_id})",
            f"Completed: Disk swap <b> ({window_id})",
        ]
        booked_text, _, objection, report = (p["message"] for p in posted())
        assert "impact OUTAGE: 5 tenants" in booked_text
        assert "Black Friday sale" in objection and "ops@balticretail.example" in objection
        assert "notices" in report and "acknowledged 0 of 5 tenants" in report and "1 declined" in report
    finally:
        chat.close()
