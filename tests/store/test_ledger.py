"""The delivery ledger on SQLite and PostgreSQL: a fan-out's notices claimed and finished in batches."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from forewarn.schemas.base import Impact
from forewarn.schemas.impact import Contact, TenantImpact
from forewarn.services.mail import ledger
from forewarn.services.mail.models import NoticeRecord
from forewarn.services.mail.notice import Notice, notice_id
from tests.factories import make_window


def _notices(window, tenants: int) -> list[Notice]:
    contacts = {f"t{n}": Contact(email=f"ops@t{n}.example") for n in range(tenants)}
    return [
        Notice(
            kind="scheduled" if window.revision == 1 else "updated",
            window=window,
            tenant=TenantImpact(
                tenant_id=t,
                name=t,
                timezone="UTC",
                locale="en",
                contacts=[c],
                resources=[],
                impact=Impact.OUTAGE,
            ),
            contact=c,
        )
        for t, c in contacts.items()
    ]


def test_a_batch_is_claimed_once_and_its_outcomes_recorded_together(engine) -> None:
    window = make_window()
    notices = _notices(window, 1000)  # more than one IN (...) list holds
    claims = ledger.claim(engine, notices)
    assert [c.record.state for c in claims] == ["pending"] * 1000
    assert {c.previous for c in claims} == {None}
    sent, refused = notices[:600], notices[600:601]
    ledger.finish(
        engine,
        [ledger.Outcome(notice_id(n), "sent", f"<{n.tenant.tenant_id}@x>", "250 ok") for n in sent]
        + [ledger.Outcome(notice_id(n), "failed", "", "550 no such user") for n in refused],
    )
    # Claimed again (a redelivery): the finished keep their outcome, the rest are still to send.
    again = ledger.claim(engine, notices)
    assert [c.record.state for c in again] == ["sent"] * 600 + ["failed"] + ["pending"] * 399
    assert again[0].record.message_id == "<t0@x>" and again[600].record.reply == "550 no such user"
    with Session(engine) as session:
        rows = session.exec(select(NoticeRecord)).all()
        assert len(rows) == 1000 and {r.attempts for r in rows} == {2}


def test_a_contact_is_told_where_the_window_stood_in_the_last_revision_they_were_sent(engine) -> None:
    first = make_window(revision=1)
    hour = timedelta(hours=1)
    second = make_window(revision=2, start=first.start + hour, end=first.end + hour)
    third = make_window(revision=3, start=first.start + 2 * hour, end=first.end + 2 * hour)
    for window, finished in ((first, 2), (second, 1)):
        notices = _notices(window, 3)
        ledger.claim(engine, notices)
        ledger.finish(engine, [ledger.Outcome(notice_id(n), "sent", "", "250") for n in notices[:finished]])
    claims = ledger.claim(engine, _notices(third, 3))
    # t0 last heard of the second revision's start; t1 only of the first's; t2 never.
    assert [c.previous for c in claims] == [(second.start, second.end), (first.start, first.end), None]
