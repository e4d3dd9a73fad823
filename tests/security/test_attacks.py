"""Attacks on the bus, each performed against a real nats-server with the production permissions.

Every service runs as its own process and logs in as its own user, as in
production; the attacker logs in as one of the low-privilege users (the CLI or
the status page, which people and the public side of the network reach) or as
another service. Each test performs one attack from the security review and
shows the server refusing it, then shows forewarn still doing its job.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import nats.errors
import pytest
from nats.js.errors import APIError

from forewarn.schemas import subjects
from forewarn.schemas.windows import WindowCancelled
from forewarn.services.bus.broker import build_broker
from forewarn.services.bus.publish import IdClaimed, Outgoing, id_key, keyed, publish
from forewarn.services.platform.config import CommonSettings

from ..factories import make_window
from .conftest import Bus, as_user

OUTSIDER = "attacker@evil.example"
pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="package")]


async def refused(nc, subject: str, request: dict) -> bool:
    """Send a JetStream API request; True when the server dropped it for lack of permission."""
    before = len(nc.refusals)
    try:
        await nc.request(subject, json.dumps(request).encode(), timeout=1)
    except (nats.errors.TimeoutError, nats.errors.NoRespondersError):
        await asyncio.sleep(0.1)  # the server's -ERR arrives on its own
        return any("permissions violation" in r.lower() for r in nc.refusals[before:])
    return False


def rewrite(name: str, filter_subject: str, *, legacy_name: bool = False) -> dict:
    """A consumer create-or-update request that retargets consumer NAME."""
    key = "name" if legacy_name else "durable_name"
    config = {key: name, "filter_subject": filter_subject, "ack_policy": "explicit", "deliver_policy": "all"}
    return {"stream_name": subjects.STREAM, "config": config, "action": "update"}


async def test_the_cli_cannot_point_the_notifiers_consumer_at_commands(bus: Bus) -> None:
    cli = await bus.login("cli")
    api = f"$JS.API.CONSUMER.CREATE.{subjects.STREAM}"
    # The review's attack, then the older API, then a reader's ephemeral API with the name in the body.
    assert await refused(cli, f"{api}.notifier.maint.cmd.>", rewrite("notifier", "maint.cmd.>"))
    assert await refused(
        cli, f"$JS.API.CONSUMER.DURABLE.CREATE.{subjects.STREAM}.notifier", rewrite("notifier", "maint.cmd.>")
    )
    assert await refused(cli, api, rewrite("notifier", "maint.cmd.>", legacy_name=True))
    # The second half of the attack: an ImpactResolved naming an outside address, as a command.
    await cli.jetstream().publish(
        "maint.cmd.evil", b'{"tenants": [{"contacts": [{"email": "%s"}]}]}' % OUTSIDER.encode()
    )
    await cli.close()
    assert (await bus.consumer(subjects.STREAM, "notifier")).config.filter_subject == subjects.IMPACT_RESOLVED
    await bus.book()  # every contact told once, the outsider never


async def test_the_status_page_cannot_refilter_impact_completed(bus: Bus) -> None:
    page = await bus.login("statuspage")
    api = f"$JS.API.CONSUMER.CREATE.{subjects.STREAM}"
    hijack = rewrite("impact-completed", subjects.SCHEDULED)
    assert await refused(page, f"{api}.impact-completed.{subjects.SCHEDULED}", hijack)
    assert await refused(page, api, rewrite("impact-completed", subjects.SCHEDULED, legacy_name=True))
    await page.close()
    assert (
        await bus.consumer(subjects.STREAM, "impact-completed")
    ).config.filter_subject == subjects.COMPLETED
    await bus.book()  # the invitation goes out, not a "completed" notice


async def test_the_status_page_cannot_delete_the_notifiers_consumer(bus: Bus) -> None:
    page = await bus.login("statuspage")
    assert await refused(page, f"$JS.API.CONSUMER.DELETE.{subjects.STREAM}.notifier", {})
    # Nor take its messages: pulling from, or acknowledging for, another's consumer.
    assert await refused(page, f"$JS.API.CONSUMER.MSG.NEXT.{subjects.STREAM}.notifier", {"batch": 1})
    await page.close()
    assert (await bus.consumer(subjects.STREAM, "notifier")).name == "notifier"
    await bus.book()  # the next booking mails all 20 contacts


async def test_one_service_cannot_take_over_anothers_consumer(bus: Bus) -> None:
    impact = await bus.login("impact")
    api = f"$JS.API.CONSUMER.CREATE.{subjects.STREAM}"
    assert await refused(impact, f"{api}.notifier.maint.window.>", rewrite("notifier", "maint.window.>"))
    assert await refused(impact, f"$JS.API.CONSUMER.DELETE.{subjects.STREAM}.reporter", {})
    await impact.close()


async def test_the_notifier_cannot_forge_a_cancellation_through_a_schedule(bus: Bus) -> None:
    window_id = await bus.book()
    cancelled = await bus.stored(subjects.STREAM, subjects.CANCELLED)
    before = Counter(bus.fleet.mail.handler.received)
    forged = WindowCancelled(window=make_window(id=window_id, revision=2), reason="forged").model_dump_json()
    at = (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    schedule = {"Nats-Schedule": f"@at {at}", "Nats-Schedule-Target": subjects.CANCELLED}
    notifier = await bus.login("notifier")
    # Its own timer subject, aimed at a lifecycle subject: the target is outside the timer stream.
    with pytest.raises(APIError, match="message schedules target is invalid"):
        await notifier.jetstream().publish(
            subjects.reminder_timer(window_id, 1, 1), forged.encode(), headers=schedule
        )
    # A subject it writes in MAINT, carrying a schedule: MAINT takes none.
    with pytest.raises(APIError, match="message schedules is disabled"):
        await notifier.jetstream().publish(subjects.NOTICE_DELIVERED, forged.encode(), headers=schedule)
    await notifier.close()
    cli = await bus.login("cli")
    with pytest.raises(APIError, match="message schedules is disabled"):  # nor does the commands' stream
        await cli.jetstream().publish("maint.cmd.later", forged.encode(), headers=schedule)
    await cli.close()
    await asyncio.sleep(3)
    assert await bus.stored(subjects.STREAM, subjects.CANCELLED) == cancelled
    assert Counter(bus.fleet.mail.handler.received) == before


async def test_a_claimed_event_id_cannot_silence_a_cancellation(bus: Bus) -> None:
    window_id = await bus.book()
    cli = await bus.login("cli")
    # The id the scheduler will give the cancellation event, claimed first.
    ack = await cli.jetstream().publish(
        "maint.cmd.junk", b"{}", headers={"Nats-Msg-Id": f"{window_id}.r2.cancelled"}
    )
    assert ack.stream == subjects.COMMAND_STREAM  # not the stream the events live in
    await cli.close()
    cancelled = await bus.stored(subjects.STREAM, subjects.CANCELLED)
    code, out, err = await bus.fleet.cli("cancel", window_id, "--reason", "vendor delay", "--json")
    assert code == 0 and json.loads(out)["status"] == "cancelled", err
    assert await bus.stored(subjects.STREAM, subjects.CANCELLED) == cancelled + 1
    await bus.mails(window_id, kind="cancelled", sequence=2)


async def test_the_cli_sees_the_impact_of_its_booking_with_its_own_login(bus: Bus) -> None:
    code, out, err = await bus.fleet.cli(
        "book", "--title", "Kernel update", "--impact", "outage", "--hosts", "sto1-cmp-[01-10]",
        "--start", "+2h", "--duration", "1h", "--allow-overlap", "--json",
    )  # fmt: skip
    assert code == 0, err
    assert len(json.loads(out)["tenants"]) == 10 and "is the impact resolver running" not in err
    # Its fan-out is over before the next test counts mails.
    await bus.mails(json.loads(out)["id"], kind="scheduled", sequence=1)


async def test_a_duplicate_for_another_subjects_message_is_an_error(bus: Bus) -> None:
    """The publisher's own guard: a claimed id is refused, should a login's key ever leak."""
    login = as_user("scheduler", bus.server.passwords)
    settings = CommonSettings(
        nats_url=bus.server.url,
        nats_user=login["FOREWARN_NATS_USER"],
        nats_password=login["FOREWARN_NATS_PASSWORD"],
    )
    scheduler = build_broker(settings, name="scheduler", reliable=False)
    await scheduler.connect()
    impact = await bus.login("impact")
    try:
        body = make_window(id="mw-claimed1").model_dump_json().encode()
        # The id as the scheduler makes it, which only its password gives: as if that had leaked.
        leaked = keyed("mw-claimed1.r1.scheduled", id_key(bus.server.passwords["scheduler"]))
        await impact.jetstream().publish(subjects.IMPACT_RESOLVED, b"{}", headers={"Nats-Msg-Id": leaked})
        with pytest.raises(IdClaimed, match=r"taken in stream MAINT by a message on maint\.impact\.resolved"):
            await publish(
                scheduler, Outgoing(subjects.SCHEDULED, "mw-claimed1.r1.scheduled", body), timeout=5
            )
        # A true repeat of one's own message is the no-op it always was.
        mine = Outgoing(subjects.SCHEDULED, "mw-claimed1.r1.mine", body)
        first = await publish(scheduler, mine, timeout=5)
        again = await publish(scheduler, mine, timeout=5)
        assert again.duplicate and again.seq == first.seq
    finally:
        await impact.close()
        await scheduler.stop()
