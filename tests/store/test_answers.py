"""Tenants' answers in a real database: the latest per contact, redeliveries and late arrivals, staleness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from forewarn.schemas.answers import Answer, ReplyReceived
from forewarn.schemas.commands import RescheduleWindow
from forewarn.services.answers import store as answers
from forewarn.services.inventory.load import load_inventory
from forewarn.services.platform.db import transaction
from forewarn.services.scheduler import lifecycle, timeline
from forewarn.services.scheduler.freezes import FreezeCalendar
from forewarn.services.scheduler.rules import Rules
from tests.factories import book_in_store

NOW = datetime.now(UTC).replace(microsecond=0)
RULES = Rules(min_lead=timedelta(0), max_duration=timedelta(days=14), freezes=FreezeCalendar([]))


def _reply(
    window_id: str, answer: Answer, *, at: datetime, contact: str = "a@t1.example", **more
) -> ReplyReceived:
    return ReplyReceived(
        reply_id=f"r{answer.value}{contact.split('@')[0]}{int(at.timestamp())}",
        window_id=window_id,
        revision=more.pop("revision", 1),
        tenant_id=more.pop("tenant_id", "t1"),
        contact=contact,
        answer=answer,
        via="link",
        occurred_at=at,
        **more,
    )


def _record(engine, reply: ReplyReceived):
    with transaction(engine) as session:
        row = answers.record(session, reply)
        return None if row is None else (row.answer, row.ops_told_at)


def test_the_latest_answer_counts_and_a_late_or_repeated_one_changes_nothing(
    engine, example_inventory
) -> None:
    load_inventory(engine=engine, path=example_inventory)
    window_id = book_in_store(engine, "cmd-answers-01", NOW)
    first = _reply(window_id, Answer.ACCEPTED, at=NOW)
    later = _reply(
        window_id, Answer.PROPOSED, at=NOW + timedelta(minutes=5), proposed_start=NOW + timedelta(days=9)
    )
    assert _record(engine, first) == ("accepted", None)
    assert _record(engine, later) == ("proposed", None)
    assert _record(engine, first) is None  # arrived late: the contact has answered since
    with transaction(engine) as session:
        answers.mark_told(session, later, NOW)
    told = _record(engine, later)  # a redelivery: recorded, and ops already told
    assert told is not None and told[0] == "proposed" and told[1] is not None

    other = _reply(window_id, Answer.ACCEPTED, at=NOW, contact="b@t2.example", tenant_id="t2")
    _record(engine, other)
    with Session(engine) as session:
        summary = answers.acknowledgements(session, window_id, ["t1", "t2", "t3"])
    assert summary.acknowledged == ["t2"] and [p["tenant_id"] for p in summary.proposed] == ["t1"]
    assert summary.no_answer == ["t3"] and summary.stale == []
    assert summary.line() == ("acknowledged 1 of 3 tenants, 1 proposed another time, 1 without an answer")


def test_an_answer_to_an_earlier_plan_is_stale_but_a_start_makes_none_stale(
    engine, example_inventory
) -> None:
    load_inventory(engine=engine, path=example_inventory)
    window_id = book_in_store(engine, "cmd-answers-01", NOW)
    _record(engine, _reply(window_id, Answer.ACCEPTED, at=NOW))
    moved = RescheduleWindow(
        command_id="cmd-answers-02",
        window_id=window_id,
        start=NOW + timedelta(days=3),
        end=NOW + timedelta(days=3, hours=2),
    )
    with transaction(engine) as session:
        timeline.record(session, moved.command_id, lifecycle.reschedule(session, moved, rules=RULES, now=NOW))
    with Session(engine) as session:
        summary = answers.acknowledgements(session, window_id, ["t1"])
    assert summary.acknowledged == [] and [s["revision"] for s in summary.stale] == [1]
    assert summary.no_answer == ["t1"]
    _record(
        engine, _reply(window_id, Answer.DECLINED, at=NOW + timedelta(minutes=1), revision=2, comment="no")
    )
    with transaction(engine) as session:
        # A new revision, not a new plan.
        started = lifecycle.start_due(session, window_id, now=NOW + timedelta(days=3))
        timeline.record(session, timeline.timer_cause(window_id, "start"), started)
    with Session(engine) as session:
        summary = answers.acknowledgements(session, window_id, ["t1"])
    assert [d["comment"] for d in summary.declined] == ["no"] and summary.stale == []
