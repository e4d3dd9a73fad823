"""Properties over any valid window and tenant: the events survive the wire, and so do invitations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from forewarn.schemas.base import Impact, WindowState, unsafe_character
from forewarn.schemas.impact import AffectedResource, Contact, ImpactCause, ImpactResolved, TenantImpact
from forewarn.schemas.windows import Component, WindowView
from forewarn.services.ical.feed import public_event
from forewarn.services.ical.invitation import (
    STATUS,
    Organizer,
    build_calendar,
    event_uid,
    method_for,
    shown_times,
)

ORGANIZER = Organizer("cloud.example.net", "maintenance@cloud.example.net")
STAMP = datetime(2026, 11, 28, 12, tzinfo=UTC)

# Any text people might type that forewarn accepts: what it refuses on entry
# (controls, bidi and zero-width characters) is tested in test_hostile_text.py.
text = st.text(max_size=120).filter(lambda t: unsafe_character(t) is None)
names = st.from_regex(r"[a-z][a-z0-9-]{0,30}", fullmatch=True)
seconds = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
).map(lambda t: t.replace(microsecond=0))


@st.composite
def windows(draw) -> WindowView:
    start = draw(seconds)
    end = start + timedelta(minutes=draw(st.integers(1, 14 * 24 * 60)))
    state = draw(st.sampled_from(WindowState))
    began = (
        start + timedelta(minutes=draw(st.integers(0, 60))) if state is not WindowState.SCHEDULED else None
    )
    ended = end + timedelta(minutes=draw(st.integers(0, 90))) if state is WindowState.COMPLETED else None
    return WindowView(
        id="mw-" + draw(st.from_regex(r"[a-z0-9]{8}", fullmatch=True)),
        title=draw(text.filter(str.strip)),
        description=draw(text),
        impact=draw(st.sampled_from(Impact)),
        state=state,
        start=start,
        end=end,
        revision=draw(st.integers(1, 10_000)),
        hosts=draw(st.lists(names, min_size=1, max_size=5, unique=True)),
        components=draw(
            st.lists(
                st.builds(
                    Component,
                    site=st.sampled_from(["STO1", "STO2", "OSL2"]),
                    role=st.sampled_from(["compute", "gpu"]),
                ),
                min_size=1,
                max_size=3,
            )
        ),
        started_at=began,
        ended_at=ended,
    )


contacts = st.builds(
    Contact,
    email=st.from_regex(r"[a-z0-9._+-]{1,20}@[a-z0-9-]{1,20}\.example", fullmatch=True),
    name=text,
    mode=st.sampled_from(["invite", "notice"]),
)
tenants = st.builds(
    TenantImpact,
    tenant_id=st.from_regex(r"[A-Za-z0-9_.-]{1,40}", fullmatch=True),
    name=text,
    timezone=st.sampled_from(["Europe/Stockholm", "Europe/Oslo", "America/New_York", "UTC"]),
    locale=st.sampled_from(["en", "sv", "nb"]),
    contacts=st.lists(contacts, max_size=4, unique_by=lambda c: c.email),
    resources=st.lists(
        st.builds(
            AffectedResource, id=names, name=text, kind=st.sampled_from(["vm", "volume", "gpu"]), host=names
        ),
        min_size=1,
        max_size=5,
        unique_by=lambda r: r.id,
    ),
    impact=st.sampled_from(Impact),
)


def _all(event, name: str) -> list[str]:
    found = event.get(name, [])
    return [str(v) for v in (found if isinstance(found, list) else [found])]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(window=windows(), tenant=tenants, cause=st.sampled_from(ImpactCause))
def test_events_survive_the_wire_unchanged(window, tenant, cause) -> None:
    resolved = ImpactResolved(
        window=window,
        cause=cause,
        components=[],
        tenant_count=1,
        resource_count=len(tenant.resources),
        tenants=[tenant],
    )
    assert ImpactResolved.model_validate_json(resolved.model_dump_json()) == resolved


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(window=windows(), tenant=tenants, mode=st.sampled_from(["invite", "notice"]))
def test_any_invitation_parses_back_to_the_same_times_uid_and_fields(window, tenant, mode) -> None:
    calendar = build_calendar(window, tenant, ORGANIZER, location="STO1", mode=mode, stamp=STAMP)
    parsed = Calendar.from_ical(calendar.to_ical())
    [event] = parsed.walk("VEVENT")  # nothing a title or name holds can add another
    start, end = shown_times(window)
    assert str(event["UID"]) == event_uid(window.id, tenant.tenant_id, "cloud.example.net")
    assert event.decoded("DTSTART") == start and event.decoded("DTEND") == end
    assert event["SEQUENCE"] == window.revision
    assert str(event["SUMMARY"]) == window.title
    assert (str(event["STATUS"]), str(event["X-MAINTNOTE-STATUS"])) == STATUS[window.state]
    assert str(event["X-MAINTNOTE-IMPACT"]) == tenant.impact.value
    assert str(event["X-MAINTNOTE-ACCOUNT"]) == tenant.tenant_id
    assert str(event["X-MAINTNOTE-MAINTENANCE-ID"]) == window.id
    assert _all(event, "X-MAINTNOTE-OBJECT-ID") == [r.id for r in tenant.resources]
    assert _all(event, "ATTENDEE") == [f"mailto:{c.email}" for c in tenant.contacts if c.mode == mode]
    assert parsed.get("METHOD") == method_for(window, mode)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(window=windows())
def test_the_public_event_names_no_tenant(window) -> None:
    event = public_event(window, ORGANIZER, location="STO1", stamp=STAMP)
    [parsed] = Calendar.from_ical(event.to_ical()).walk("VEVENT")
    assert str(parsed["UID"]) == f"{window.id}@cloud.example.net"
    assert str(parsed["X-MAINTNOTE-IMPACT"]) == window.impact.value
    assert not {"ATTENDEE", "X-MAINTNOTE-ACCOUNT", "X-MAINTNOTE-OBJECT-ID"} & set(parsed)
