"""The invitation: iTIP methods, MAINT-NOTE fields, stable UID, and no injection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from forewarn.schemas.base import Impact, WindowState, printable, unsafe_character
from forewarn.schemas.impact import AffectedResource, Contact, TenantImpact
from forewarn.schemas.windows import WindowView
from forewarn.services.ical.cache import Invitations
from forewarn.services.ical.invitation import Organizer, build_calendar, event_uid
from forewarn.services.ical.text import serialize
from tests.factories import START, make_window

STAMP = datetime(2026, 11, 28, 12, tzinfo=UTC)


def _window(**changes) -> WindowView:
    return make_window(**changes)


TENANT = TenantImpact(
    tenant_id="acme-ab",
    name="Acme AB",
    timezone="Europe/Stockholm",
    locale="sv",
    contacts=[
        Contact(email="ops@acme.example", name="Ops", mode="invite"),
        Contact(email="cto@acme.example", name="CTO", mode="invite"),
        Contact(email="noc@acme.example", name="NOC robot", mode="notice"),
    ],
    resources=[
        AffectedResource(id="vm-00001", name="web-1", kind="vm", host="sto1-cmp-01"),
        AffectedResource(id="vol-00002", name="db-data", kind="volume", host="sto1-cmp-01"),
    ],
    impact=Impact.OUTAGE,
)


def _build(window: WindowView, mode: str = "invite", tenant: TenantImpact = TENANT) -> Calendar:
    calendar = build_calendar(
        window,
        tenant,
        Organizer("cloud.example.net", "maintenance@cloud.example.net"),
        location="STO1 (Stockholm 1, Kista)",
        mode=mode,
        stamp=STAMP,
    )
    return Calendar.from_ical(calendar.to_ical())  # every test reads what a client would parse


def _event(calendar: Calendar):
    [event] = calendar.walk("VEVENT")
    return event


def _attendees(event) -> list[str]:
    found = event.get("ATTENDEE", [])
    return [str(a) for a in (found if isinstance(found, list) else [found])]


def test_new_window_is_a_request_with_every_required_field() -> None:
    calendar = _build(_window())
    event = _event(calendar)
    assert calendar["METHOD"] == "REQUEST" and calendar["VERSION"] == "2.0" and calendar["PRODID"]
    assert event["UID"] == "mw-abc12345.acme-ab@cloud.example.net"
    assert event.decoded("DTSTART") == START and event.decoded("DTEND") == START + timedelta(hours=3)
    assert event.to_ical().decode().count("DTSTART:20261201T210000Z") == 1  # UTC, not floating
    assert event["SEQUENCE"] == 1 and event["STATUS"] == "CONFIRMED"
    assert str(event["ORGANIZER"]) == "mailto:maintenance@cloud.example.net"
    assert _attendees(event) == ["mailto:ops@acme.example", "mailto:cto@acme.example"]
    assert event.get("ATTENDEE")[0].params["PARTSTAT"] == "NEEDS-ACTION"
    assert event["X-MAINTNOTE-PROVIDER"] == "cloud.example.net"
    assert event["X-MAINTNOTE-ACCOUNT"] == "acme-ab"
    assert event["X-MAINTNOTE-MAINTENANCE-ID"] == "mw-abc12345"
    assert [str(o) for o in event.get("X-MAINTNOTE-OBJECT-ID")] == ["vm-00001", "vol-00002"]
    assert event["X-MAINTNOTE-IMPACT"] == "OUTAGE" and event["X-MAINTNOTE-STATUS"] == "CONFIRMED"
    assert event["LOCATION"] == "STO1 (Stockholm 1, Kista)"
    [alarm] = event.walk("VALARM")
    assert alarm.decoded("TRIGGER") == -timedelta(hours=1)


def test_an_update_keeps_the_uid_and_raises_the_sequence() -> None:
    first = _event(_build(_window()))
    moved = _event(
        _build(_window(revision=2, start=START + timedelta(hours=3), end=START + timedelta(hours=6)))
    )
    assert moved["UID"] == first["UID"] and moved["SEQUENCE"] > first["SEQUENCE"]


def test_cancellation_is_a_cancel_with_cancelled_status() -> None:
    calendar = _build(_window(state=WindowState.CANCELLED, revision=3))
    event = _event(calendar)
    assert calendar["METHOD"] == "CANCEL" and event["STATUS"] == "CANCELLED"
    assert event["X-MAINTNOTE-STATUS"] == "CANCELLED" and event["SEQUENCE"] == 3
    assert not event.walk("VALARM")


def test_progress_and_completion_statuses() -> None:
    assert _event(_build(_window(state=WindowState.IN_PROGRESS)))["X-MAINTNOTE-STATUS"] == "IN-PROCESS"
    assert _event(_build(_window(state=WindowState.COMPLETED)))["X-MAINTNOTE-STATUS"] == "COMPLETED"


def test_notice_mode_has_no_method_and_only_machine_contacts() -> None:
    calendar = _build(_window(), mode="notice")
    assert "METHOD" not in calendar
    assert _attendees(_event(calendar)) == ["mailto:noc@acme.example"]


def test_titles_and_names_cannot_inject_properties() -> None:
    hostile = "Reboot\r\nATTENDEE:mailto:attacker@evil.example\r\nMETHOD:CANCEL"
    tenant = TENANT.model_copy(
        update={
            "contacts": [
                Contact.model_construct(email="ops@acme.example", name='Ops"\r\nX-EVIL:1', mode="invite")
            ]
        }
    )
    # Past validation, as text stored before today's input rules would be.
    calendar = _build(_window().model_copy(update={"title": hostile, "description": hostile}), tenant=tenant)
    text = calendar.to_ical().decode()
    assert _attendees(_event(calendar)) == ["mailto:ops@acme.example"]
    assert "\r\nATTENDEE:mailto:attacker" not in text and "\r\nX-EVIL" not in text
    assert calendar["METHOD"] == "REQUEST"
    assert str(_event(calendar)["SUMMARY"]) == printable(hostile)  # each control shows as U+FFFD


@settings(max_examples=60, deadline=None)
@given(
    title=st.text(min_size=1, max_size=80).filter(lambda t: unsafe_character(t) is None),
    start=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
    minutes=st.integers(min_value=1, max_value=14 * 24 * 60),
    revision=st.integers(min_value=1, max_value=10_000),
    tenant_id=st.from_regex(r"[A-Za-z0-9_.-]{1,40}", fullmatch=True),
)
def test_any_window_parses_back_to_the_same_fields(title, start, minutes, revision, tenant_id) -> None:
    start = start.replace(microsecond=0)
    window = _window(title=title, start=start, end=start + timedelta(minutes=minutes), revision=revision)
    tenant = TENANT.model_copy(update={"tenant_id": tenant_id})
    event = _event(_build(window, tenant=tenant))
    assert event["UID"] == event_uid(window.id, tenant_id, "cloud.example.net")
    assert event.decoded("DTSTART") == start and event.decoded("DTEND") == window.end
    assert event["SEQUENCE"] == revision and event["X-MAINTNOTE-ACCOUNT"] == tenant_id
    assert str(event["SUMMARY"]) == title


@settings(max_examples=200, deadline=None)
# SUMMARY lines of 74 and 75 characters: the longest left whole, the shortest folded.
@example(title="x" * 66, name="", resource="r", state=WindowState.SCHEDULED, mode="invite", withdrawn=False)
@example(title="x" * 67, name="", resource="r", state=WindowState.SCHEDULED, mode="invite", withdrawn=False)
@given(
    # Any text at all, as stored before today's input rules: ASCII and not, short and long.
    title=st.text(min_size=1, max_size=120),
    name=st.text(max_size=90),
    resource=st.text(min_size=1, max_size=90),
    state=st.sampled_from(list(WindowState)),
    mode=st.sampled_from(["invite", "notice"]),
    withdrawn=st.booleans(),
)
def test_serialize_and_the_fan_outs_writer_write_what_icalendar_writes(
    title, name, resource, state, mode, withdrawn
) -> None:
    window = _window().model_copy(update={"title": title, "state": state})
    tenant = TENANT.model_copy(
        update={
            "name": name,
            "contacts": [
                *TENANT.contacts,
                Contact.model_construct(email="x@acme.example", name=name, mode=mode),
            ],
            "resources": [
                *TENANT.resources,
                AffectedResource.model_construct(id=resource, name=name, kind="vm", host="h"),
            ],
        }
    )
    organizer = Organizer("cloud.example.net", "maintenance@cloud.example.net")
    calendar = build_calendar(
        window, tenant, organizer, location="STO1", mode=mode, stamp=STAMP, withdrawn=withdrawn
    )
    assert serialize(calendar) == calendar.to_ical()
    # The fan-out's writer, which serializes the window's own lines once, writes the same bytes,
    # also for a second tenant of the same window, and for the window after it changed.
    invitations = Invitations(organizer)
    for _ in range(2):
        written = invitations.calendar(
            window, tenant, location="STO1", mode=mode, stamp=STAMP, withdrawn=withdrawn
        )
        assert written == serialize(calendar)
    moved = window.model_copy(update={"revision": 2, "start": window.start + timedelta(minutes=1)})
    expected = build_calendar(moved, TENANT, organizer, location="STO1", mode=mode, stamp=STAMP)
    assert invitations.calendar(moved, TENANT, location="STO1", mode=mode, stamp=STAMP) == serialize(expected)


def test_attendees_are_asked_to_answer_only_where_the_organizer_reads_its_mailbox() -> None:
    for rsvp in (False, True):
        organizer = Organizer("cloud.example.net", "maintenance@cloud.example.net", rsvp=rsvp)
        built = build_calendar(_window(), TENANT, organizer, location="STO1", mode="invite", stamp=STAMP)
        written = Invitations(organizer).calendar(
            _window(), TENANT, location="STO1", mode="invite", stamp=STAMP
        )
        assert written == serialize(built)
        attendees = _event(Calendar.from_ical(written)).get("ATTENDEE")
        assert {a.params["RSVP"] for a in attendees} == {"TRUE" if rsvp else "FALSE"}
