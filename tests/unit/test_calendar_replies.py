"""Calendar answers read from mail shaped as each client sends them; anything else is no answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from forewarn.schemas.answers import Answer
from forewarn.services.replies.parse import Delegation, read_answers, read_mail
from tests import calendar_replies as mails
from tests.calendar_replies import Invited

PROVIDER = "cloud.example.net"
START = datetime(2026, 12, 2, 21, 0, tzinfo=UTC)
INVITED = Invited(
    uid=f"mw-abc12345.nordic-media@{PROVIDER}",
    sequence=2,
    start=START,
    end=START + timedelta(hours=2),
    summary="[Maintenance updated] Kernel update",
    attendee="jane@nordic-media.example",
    message_id=f"<mw-abc12345.nordic-media.updated.r2.0a1b2c3d4e5f@{PROVIDER}>",
)


def test_outlook_accepts_with_its_own_sequence_and_windows_zone() -> None:
    [answer] = read_answers(mails.outlook(INVITED, comment="See you then"), PROVIDER)
    assert (answer.window_id, answer.tenant_id) == ("mw-abc12345", "nordic-media")
    assert answer.answer is Answer.ACCEPTED and answer.sequence == 2
    assert answer.attendee == "jane@nordic-media.example" and answer.comment == "See you then"
    assert answer.start == START  # 22:00 in "W. Europe Standard Time" is 21:00 UTC


def test_outlook_without_any_sequence_leaves_the_plan_to_its_times() -> None:
    [answer] = read_answers(mails.outlook(INVITED, sequence=False), PROVIDER)
    assert answer.sequence is None and answer.start == START


def test_outlook_proposes_a_new_time() -> None:
    wanted = (START + timedelta(days=3), START + timedelta(days=3, hours=2))
    [answer] = read_answers(mails.outlook(INVITED, counter=wanted, comment="Friday please"), PROVIDER)
    assert answer.answer is Answer.PROPOSED and (answer.start, answer.end) == wanted
    assert answer.comment == "Friday please" and answer.sequence == 2


def test_gmail_declines_once_though_it_sends_the_calendar_twice() -> None:
    [answer] = read_answers(mails.gmail(INVITED, "DECLINED", note="Release night"), PROVIDER)
    assert answer.answer is Answer.DECLINED and answer.comment == "Release night" and answer.sequence == 2


def test_thunderbird_and_its_received_sequence() -> None:
    [answer] = read_answers(mails.thunderbird(INVITED, "TENTATIVE", sequence=1), PROVIDER)
    assert answer.answer is Answer.TENTATIVE and answer.sequence == 1


def test_a_delegate_answers_for_the_attendee() -> None:
    deputy = Invited(**{**INVITED.__dict__, "attendee": "deputy@nordic-media.example"})
    [answer] = read_answers(
        mails.thunderbird(deputy, "ACCEPTED", delegated_from="jane@nordic-media.example"), PROVIDER
    )
    assert answer.attendee == "deputy@nordic-media.example"
    assert answer.delegated_from == "jane@nordic-media.example"


def test_a_contact_handing_the_invitation_on_names_its_delegate() -> None:
    [delegation] = read_mail(
        mails.thunderbird(INVITED, "DELEGATED", delegated_to="deputy@nordic-media.example"), PROVIDER
    )
    assert isinstance(delegation, Delegation)
    assert delegation.delegator == INVITED.attendee
    assert delegation.delegates == ("deputy@nordic-media.example",)


def test_the_revision_of_our_notice_stands_in_for_a_missing_sequence() -> None:
    raw = mails.outlook(INVITED, sequence=False).replace(
        b"MIME-Version: 1.0\r\n",
        b"MIME-Version: 1.0\r\nIn-Reply-To: " + INVITED.message_id.encode() + b"\r\n",
        1,
    )
    [answer] = read_answers(raw, PROVIDER)
    assert answer.sequence == 2


def test_anything_else_is_no_answer() -> None:
    assert read_answers(mails.out_of_office("Kernel update"), PROVIDER) == []
    assert read_answers(mails.someone_elses_invitation(), PROVIDER) == []
    assert read_answers(mails.gmail(INVITED), "other-provider.example") == []
    assert read_answers(b"\x00\xff not a mail at all", PROVIDER) == []
