"""No login can claim a message id another login will use, in any stream both may write.

JetStream deduplicates by Nats-Msg-Id per stream. Before, an id was its business
key (`mw-….r2.cancelled`), public and guessable, so the status page's login,
the one facing the internet, could store a message first under the id of a
window's cancellation and silence it. Now each id carries a tag keyed by the
publishing login's password. The test below takes every pair of logins that
share a stream and every subject the first writes there: the second claims the
business key first, and the first's message is stored all the same.
"""

from __future__ import annotations

import itertools
import json

import nats.errors
import pytest

from forewarn.schemas import msgids, subjects
from forewarn.schemas.commands import RecordAnswerResult
from forewarn.services.bus.accounts import USERS
from forewarn.services.bus.broker import build_broker
from forewarn.services.bus.publish import Outgoing, publish
from forewarn.services.platform.config import CommonSettings

from .conftest import Bus, as_user, connect

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="package")]


def literal(pattern: str) -> str:
    """A subject the pattern allows: each wildcard filled with a token."""
    return ".".join("x" if token in ("*", ">") else token for token in pattern.split("."))


def writes(user) -> dict[str, str]:
    """A literal subject the login may publish on, per stream it can write into."""
    found: dict[str, str] = {}
    for pattern in user.publish:
        if pattern.startswith(("$", "_INBOX")) or pattern == ">":
            continue
        subject = literal(pattern)
        try:
            found.setdefault(subjects.stream_of(subject), subject)
        except ValueError:
            continue
    return found


async def test_every_login_pair_sharing_a_stream_cannot_claim_each_others_ids(bus: Bus) -> None:
    logins = {user.name: writes(user) for user in USERS}
    pairs = [
        (writer, claimer, stream)
        for writer, claimer in itertools.permutations(logins, 2)
        for stream in logins[writer].keys() & logins[claimer].keys()
    ]
    assert pairs, "no two logins share a stream"
    for n, (writer, claimer, stream) in enumerate(pairs):
        business = f"claim-test.{n}.{writer}"
        thief = await connect(bus.server, claimer)
        stolen = await thief.jetstream().publish(
            logins[claimer][stream], b"{}", headers={"Nats-Msg-Id": business}, stream=stream
        )
        await thief.close()
        assert not stolen.duplicate
        login = as_user(writer, bus.server.passwords)
        settings = CommonSettings(
            nats_url=bus.server.url,
            nats_user=login["FOREWARN_NATS_USER"],
            nats_password=login["FOREWARN_NATS_PASSWORD"],
        )
        broker = build_broker(settings, name=writer, reliable=False)
        await broker.connect()
        try:
            ack = await publish(broker, Outgoing(logins[writer][stream], business, b"{}"), timeout=5)
        finally:
            await broker.stop()
        assert not ack.duplicate and ack.seq > stolen.seq, (writer, claimer, stream)


async def test_the_status_page_cannot_silence_a_cancellation(bus: Bus) -> None:
    """The review's attack: the public login claims the ids of the cancellation, its impact and its report.

    It may no longer store anything in MAINT: what it writes is a request to record an
    answer, which the reporter checks and stores under an id of its own.
    """
    window_id = await bus.book()
    page = await bus.login("statuspage")
    for claimed in (
        msgids.event(window_id, 2, "cancelled"),
        msgids.impact(window_id, 2, "cancelled", 1, 1),
        msgids.report(window_id),
    ):
        with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
            await page.jetstream().publish(
                subjects.REPLY_RECEIVED, b"{}", headers={"Nats-Msg-Id": claimed}, timeout=1
            )
        answer = await page.request(
            subjects.RECORD_ANSWER, b"{}", headers={"Nats-Msg-Id": claimed}, timeout=5
        )
        assert not RecordAnswerResult.model_validate_json(answer.data).recorded
    await page.close()
    code, out, err = await bus.fleet.cli("cancel", window_id, "--reason", "vendor delay", "--json")
    assert code == 0 and json.loads(out)["status"] == "cancelled", err
    await bus.mails(window_id, kind="cancelled", sequence=2)
