"""Notice emails: structure, headers, localisation, escaping."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.mime.text import MIMEText
from pathlib import Path

import pytest
from icalendar import Calendar

from forewarn.schemas.base import Impact, WindowState
from forewarn.schemas.impact import AffectedResource, Contact, TenantImpact
from forewarn.services.mail.compose import Composer
from forewarn.services.mail.mime import HEADERS, text_part
from forewarn.services.mail.notice import Notice
from tests.factories import START, make_window

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
STAMP = datetime(2026, 11, 28, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def composer() -> Composer:
    return Composer(TEMPLATES, provider="cloud.example.net", mail_from="maintenance@cloud.example.net")


def _notice(kind="scheduled", locale="sv", mode="invite", title="Ubuntu migration", **window) -> Notice:
    # Set after validation, as text stored before today's input rules would be:
    # what leaves must be safe whatever came in.
    view = make_window(**window).model_copy(update={"title": title})
    tenant = TenantImpact(
        tenant_id="acme-ab",
        name="Acme <b>AB</b>",
        timezone="Europe/Stockholm",
        locale=locale,
        contacts=[Contact(email="ops@acme.example", name="Ops Team", mode=mode)],
        resources=[AffectedResource(id="vm-00001", name="web-<1>", kind="vm", host="sto1-cmp-01")],
        impact=Impact.OUTAGE,
    )
    return Notice(kind=kind, window=view, tenant=tenant, contact=tenant.contacts[0])


def _parse(msg):
    return message_from_bytes(msg.as_bytes(), policy=policy.default)


def test_structure_and_headers(composer: Composer) -> None:
    msg = _parse(composer.compose(_notice(), stamp=STAMP))
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = msg.get_payload()
    assert [p.get_content_type() for p in alternative.get_payload()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    assert alternative.get_payload()[2].get_param("method") == "REQUEST"
    assert attachment.get_filename() == "invite.ics" and attachment.get_param("method") == "REQUEST"
    event = Calendar.from_ical(attachment.get_payload(decode=True)).walk("VEVENT")[0]
    assert event["UID"] == "mw-abc12345.acme-ab@cloud.example.net"
    assert msg["Message-ID"] == composer.compose(_notice(), stamp=STAMP)["Message-ID"]  # stable
    assert msg["In-Reply-To"] == msg["References"] == "<mw-abc12345.acme-ab@cloud.example.net>"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["To"] == "Ops Team <ops@acme.example>"


def test_localised_subject_and_times_in_the_tenants_zone_with_utc(composer: Composer) -> None:
    sv = _parse(composer.compose(_notice(locale="sv"), stamp=STAMP))
    assert sv["Subject"] == "[Underhåll planerat] Ubuntu migration – tis 1 dec. 2026 22:00 CET"
    text = sv.get_payload()[0].get_payload()[0].get_content()
    assert (
        "2026-12-01 21:00 – 2026-12-02 00:00 UTC" in text and "web-<1> (vm-00001, vm) på sto1-cmp-01" in text
    )
    nb = _parse(composer.compose(_notice(locale="nb"), stamp=STAMP))
    assert (
        nb["Subject"].startswith("[Vedlikehold planlagt]") and "tir. 1 des. 2026 22:00 CET" in nb["Subject"]
    )
    en = _parse(
        composer.compose(_notice(locale="en", kind="cancelled", state=WindowState.CANCELLED), stamp=STAMP)
    )
    assert en["Subject"].startswith("[Maintenance cancelled]")
    assert en.get_payload()[0].get_payload()[2].get_param("method") == "CANCEL"


def test_updates_say_what_moved(composer: Composer) -> None:
    notice = _notice(
        kind="updated",
        locale="en",
        start=START + timedelta(hours=3),
        end=START + timedelta(hours=6),
        revision=2,
    )
    notice = replace(notice, previous_start=START)
    text = _parse(composer.compose(notice, stamp=STAMP)).get_payload()[0].get_payload()[0].get_content()
    assert "Moved from Tue 1 Dec 2026 22:00 CET to Wed 2 Dec 2026 01:00 CET." in text


def test_a_move_of_seconds_is_told_in_seconds(composer: Composer) -> None:
    # A move of 20 s once read "Moved from 13:28 to 13:28".
    notice = _notice(kind="updated", locale="en", start=START + timedelta(seconds=20), revision=2)
    notice = replace(notice, previous_start=START)
    text = _parse(composer.compose(notice, stamp=STAMP)).get_payload()[0].get_payload()[0].get_content()
    assert "Moved from Tue 1 Dec 2026 22:00:00 CET to Tue 1 Dec 2026 22:00:20 CET." in text


def test_html_is_escaped_and_headers_cannot_be_injected(composer: Composer) -> None:
    hostile = "Reboot\r\nBcc: victim@evil.example <script>alert(1)</script>"
    msg = _parse(
        composer.compose(_notice(title=hostile, description="<img src=x onerror=alert(1)>"), stamp=STAMP)
    )
    assert msg["Bcc"] is None and "\n" not in msg["Subject"]
    html = msg.get_payload()[0].get_payload()[1].get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "web-&lt;1&gt;" in html


def test_machine_contacts_get_the_event_without_a_calendar_request(composer: Composer) -> None:
    msg = _parse(composer.compose(_notice(mode="notice"), stamp=STAMP))
    alternative, attachment = msg.get_payload()
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "text/html"]
    assert attachment.get_param("method") is None
    assert "METHOD" not in Calendar.from_ical(attachment.get_payload(decode=True))


def test_a_window_across_the_end_of_daylight_saving_time(composer: Composer) -> None:
    # 2026-10-25 is the last Sunday of October: Stockholm goes from CEST to CET at 01:00 UTC.
    start = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    notice = _notice(locale="en", start=start, end=start + timedelta(hours=2))
    msg = _parse(composer.compose(notice, stamp=STAMP))
    text = msg.get_body(("plain",)).get_content()
    assert "Sun 25 Oct 2026 02:30 CEST – Sun 25 Oct 2026 03:30 CET" in text
    assert "2026-10-25 00:30 – 2026-10-25 02:30 UTC" in text
    [attachment] = [p for p in msg.iter_attachments() if p.get_filename() == "invite.ics"]
    ics = attachment.get_payload(decode=True)
    assert b"DTSTART:20261025T003000Z" in ics and b"DTEND:20261025T023000Z" in ics


def test_a_completion_says_when_the_work_ran_and_by_how_much_it_overran(composer: Composer) -> None:
    done = _notice(
        kind="completed",
        state=WindowState.COMPLETED,
        revision=3,
        started_at=START + timedelta(minutes=2),
        ended_at=START + timedelta(hours=3, minutes=40),
    )
    msg = _parse(composer.compose(done, stamp=STAMP))
    text = msg.get_body(("plain",)).get_content()
    assert msg["Subject"].startswith("[Underhåll slutfört] Ubuntu migration")
    # 21:02 UTC is 22:02 in Stockholm; the end 00:40 UTC is 01:40 the next day there.
    assert "Genomfört: tis 1 dec. 2026 22:02 CET – ons 2 dec. 2026 01:40 CET" in text
    assert "(2026-12-01 21:02 – 2026-12-02 00:40 UTC)" in text
    assert "Det pågick 40 minuter längre än planerat." in text
    event = Calendar.from_ical(msg.get_payload()[1].get_payload(decode=True)).walk("VEVENT")[0]
    assert str(event["X-MAINTNOTE-STATUS"]) == "COMPLETED" and event["SEQUENCE"] == 3
    # The calendar keeps what really happened, not the plan.
    assert event.decoded("DTSTART") == START + timedelta(minutes=2)
    assert event.decoded("DTEND") == START + timedelta(hours=3, minutes=40)


def test_a_completion_on_time_mentions_no_overrun(composer: Composer) -> None:
    done = _notice(
        kind="completed",
        locale="en",
        state=WindowState.COMPLETED,
        started_at=START,
        ended_at=START + timedelta(hours=3, minutes=1),
    )
    text = _parse(composer.compose(done, stamp=STAMP)).get_body(("plain",)).get_content()
    assert "The maintenance below is complete." in text and "Carried out: " in text
    assert "- web-<1> (vm-00001, vm) on sto1-cmp-01" in text
    assert "past the planned end" not in text


def test_a_started_notice_is_an_in_process_update(composer: Composer) -> None:
    begun = _notice(kind="started", locale="nb", state=WindowState.IN_PROGRESS, revision=2, started_at=START)
    msg = _parse(composer.compose(begun, stamp=STAMP))
    assert msg["Subject"].startswith("[Vedlikehold startet]")
    assert "Vedlikeholdet nedenfor har startet." in msg.get_body(("plain",)).get_content()
    event = Calendar.from_ical(msg.get_payload()[1].get_payload(decode=True)).walk("VEVENT")[0]
    assert str(event["X-MAINTNOTE-STATUS"]) == "IN-PROCESS" and event["SEQUENCE"] == 2


@pytest.mark.parametrize("locale", ["en", "sv", "nb"])
def test_a_tenant_the_window_no_longer_affects_gets_its_own_event_cancelled(
    composer: Composer, locale
) -> None:
    notice = replace(_notice("withdrawn", locale=locale), drift=2)
    msg = _parse(composer.compose(notice, stamp=STAMP))
    alternative, attachment = msg.get_payload()
    assert (
        attachment.get_param("method") == "CANCEL"
        and alternative.get_payload()[2].get_param("method") == "CANCEL"
    )
    event = Calendar.from_ical(attachment.get_payload(decode=True)).walk("VEVENT")[0]
    invited = Calendar.from_ical(
        composer.compose(_notice(locale=locale), stamp=STAMP).get_payload()[1].get_payload(decode=True)
    ).walk("VEVENT")[0]
    # The same event the tenant was invited to, cancelled; the window itself goes ahead.
    assert event["UID"] == invited["UID"] and event["SEQUENCE"] == invited["SEQUENCE"]
    assert event["STATUS"] == "CANCELLED" and event["X-MAINTNOTE-STATUS"] == "CANCELLED"
    assert not event.walk("VALARM")
    text = msg.get_body(("plain",)).get_content()
    assert composer.strings[locale]["intro"]["withdrawn"] in text
    assert composer.strings[locale]["resources"] not in text  # none of its resources are there now
    assert msg["Subject"].startswith(f"[{composer.strings[locale]['kind']['withdrawn']}]")
    assert msg["Message-ID"] != composer.compose(replace(notice, drift=3), stamp=STAMP)["Message-ID"]


def test_a_tenant_that_joined_gets_the_invitation_with_the_windows_sequence(composer: Composer) -> None:
    msg = _parse(composer.compose(replace(_notice("joined", locale="en", revision=3), drift=1), stamp=STAMP))
    attachment = msg.get_payload()[1]
    event = Calendar.from_ical(attachment.get_payload(decode=True)).walk("VEVENT")[0]
    assert attachment.get_param("method") == "REQUEST" and event["SEQUENCE"] == 3
    assert event["STATUS"] == "CONFIRMED"
    assert "now on hosts in the maintenance below" in msg.get_body(("plain",)).get_content()


@pytest.mark.parametrize("kind", ["scheduled", "cancelled", "withdrawn", "completed"])
@pytest.mark.parametrize("locale", ["en", "sv", "nb"])
def test_every_header_is_written_as_the_email_packages_own_folding_writes_it(
    composer: Composer, kind: str, locale: str
) -> None:
    title = "Ubuntu migration – a title long enough that the subject must fold across lines " * 2
    msg = composer.compose(_notice(kind=kind, locale=locale, title=title), stamp=STAMP)
    headers = [(name, value) for part in msg.walk() for name, value in part.items()]
    assert len(headers) > 20
    for name, value in headers:
        assert HEADERS.fold_binary(name, value) == policy.compat32.fold_binary(name, value)
    data = msg.as_bytes()
    assert max(len(line) for line in data.splitlines()) <= 78
    # A boundary "=_…" is in no base64 line nor any other header: only in its own and between parts.
    for multipart in (msg, msg.get_payload()[0]):
        boundary = multipart.get_boundary()
        assert boundary.startswith("=_") and data.count(boundary.encode()) == len(multipart.get_payload()) + 2


@pytest.mark.parametrize("body", ["", "plain ASCII", "åäö – ø " * 300, "x" * 57, "x" * 58, "a\nb\r\nc"])
@pytest.mark.parametrize("subtype", ["plain", "html", "calendar"])
def test_a_text_part_is_what_mimetext_makes(body: str, subtype: str) -> None:
    assert text_part(body, subtype).as_bytes() == MIMEText(body, subtype, "utf-8", policy=HEADERS).as_bytes()


def _bodies(msg) -> tuple[str, str]:
    """The plain and HTML text, as a mail client shows them (the HTML without its tags)."""
    import html as html_module
    import re

    text, html = (p.get_content() for p in msg.get_payload()[0].get_payload()[:2])
    shown = html_module.unescape(re.sub(r"<[^>]+>", " ", html))
    return text, " ".join(shown.split())


@pytest.mark.parametrize(
    ("locale", "impact", "unavailable", "cancelled"),
    [
        ("en", "Impact", "Your resources will be unavailable.", "has been cancelled"),
        ("sv", "Påverkan", "Era resurser kommer att vara otillgängliga.", "är inställt"),
        ("nb", "Påvirkning", "Ressursene deres vil være utilgjengelige.", "avlyst"),
    ],
)
def test_a_cancellation_says_nothing_of_an_impact_that_no_longer_comes(
    composer: Composer, locale: str, impact: str, unavailable: str, cancelled: str
) -> None:
    scheduled = _bodies(_parse(composer.compose(_notice(locale=locale), stamp=STAMP)))
    assert all(unavailable in body for body in scheduled)  # the phrase this test looks for is right
    notice = _notice(locale=locale, kind="cancelled", state=WindowState.CANCELLED)
    for body in _bodies(_parse(composer.compose(notice, stamp=STAMP))):
        assert cancelled in body
        assert unavailable not in body and f"{impact}:" not in body and f"{impact} " not in body


@pytest.mark.parametrize(
    ("locale", "longer", "shorter"),
    [
        (
            "en",
            "Now ends at Wed 2 Dec 2026 01:30 CET (extended by 1 hour 30 minutes).",
            "Now ends at Tue 1 Dec 2026 23:30 CET (shortened by 30 minutes).",
        ),
        (
            "sv",
            "Slutar nu ons 2 dec. 2026 01:30 CET (förlängt med 1 timme 30 minuter).",
            "Slutar nu tis 1 dec. 2026 23:30 CET (förkortat med 30 minuter).",
        ),
        (
            "nb",
            "Slutter nå ons. 2 des. 2026 01:30 CET (forlenget med 1 time 30 minutter).",
            "Slutter nå tir. 1 des. 2026 23:30 CET (forkortet med 30 minutter).",
        ),
    ],
)
def test_an_extension_says_the_new_end_and_by_how_much(
    composer: Composer, locale: str, longer: str, shorter: str
) -> None:
    planned_end = START + timedelta(hours=2)
    for end, said in (
        (planned_end + timedelta(minutes=90), longer),
        (planned_end - timedelta(minutes=30), shorter),
    ):
        notice = _notice(kind="updated", locale=locale, end=end, revision=2)
        notice = replace(notice, previous_start=START, previous_end=planned_end)
        for body in _bodies(_parse(composer.compose(notice, stamp=STAMP))):
            assert said in body
    # A move says where it moved to, and nothing of an extension.
    moved = replace(
        _notice(kind="updated", locale=locale, start=START + timedelta(hours=1), revision=2),
        previous_start=START,
        previous_end=planned_end,
    )
    now_ends = composer.strings[locale]["extended"]["longer"].split("{")[0]
    assert all(now_ends not in body for body in _bodies(_parse(composer.compose(moved, stamp=STAMP))))


@pytest.mark.parametrize("locale", ["en", "sv", "nb"])
def test_a_notice_links_its_page_names_its_site_and_signs_as_its_organizer(locale: str) -> None:
    from forewarn.schemas.windows import Component

    linked = Composer(
        TEMPLATES,
        provider="cloud.example.net",
        mail_from="maintenance@cloud.example.net",
        status_url="https://status.cloud.example.net/",
    )
    words = linked.strings[locale]
    components = [Component(site="STO1", role="compute", site_name="Stockholm 1, Kista")]
    notice = _notice(locale=locale, components=components)
    msg = _parse(linked.compose(notice, stamp=STAMP))
    page = "https://status.cloud.example.net/windows/mw-abc12345"
    text, html = msg.get_payload()[0].get_payload()[:2]
    assert f"{words['page']}: {page}" in text.get_content() and f'href="{page}"' in html.get_content()
    event = Calendar.from_ical(msg.get_payload()[1].get_payload(decode=True)).walk("VEVENT")[0]
    assert str(event["LOCATION"]) == "Stockholm 1, Kista (STO1)"
    assert all("Stockholm 1, Kista (STO1)" in body for body in _bodies(msg))
    assert msg["From"].addresses[0].display_name == event["ORGANIZER"].params["CN"]
    # An invitation promises to keep the calendar current; a notice-mode mail does not.
    promise = words["footer"].split(". ", 1)[1]
    assert all(promise in body for body in _bodies(msg))
    reading = _parse(linked.compose(_notice(locale=locale, mode="notice"), stamp=STAMP))
    assert all(promise not in body for body in _bodies(reading))
    assert all(words["footer_notice"].split(". ", 1)[1] in body for body in _bodies(reading))
    # Without the page's address, no link.
    bare = _parse(
        Composer(TEMPLATES, provider="cloud.example.net", mail_from="m@x.example").compose(
            notice, stamp=STAMP
        )
    )
    assert all(words["page"] not in body for body in _bodies(bare))
