"""Any Unicode, controls and bidi marks included: refused where it enters, safe wherever it leaves.

Where text enters (an inventory row, a BookWindow), a character forewarn does
not take is refused with the field named. Whatever is taken comes back out
unchanged: in a notice's headers and invitation after a trip through the
bytes of the .eml, and in the Atom feed, the public calendar, the HTML and the
terminal. And text that got past the rules anyway (stored before them) still
cannot break a mail, a calendar, a feed or a terminal line.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.utils import formataddr
from pathlib import Path
from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from pydantic import ValidationError
from rich.console import Console

from forewarn.schemas import subjects
from forewarn.schemas.base import Impact, printable, unsafe_character
from forewarn.schemas.commands import BookWindow, HostSelector
from forewarn.schemas.impact import AffectedResource, Contact, TenantImpact
from forewarn.schemas.windows import WindowScheduled
from forewarn.services.cli import render
from forewarn.services.ical.feed import feed_calendar, public_event
from forewarn.services.ical.invitation import Organizer
from forewarn.services.ical.text import param_text
from forewarn.services.inventory.records import ContactIn, ResourceIn
from forewarn.services.mail.compose import Composer
from forewarn.services.mail.headers import one_line
from forewarn.services.mail.notice import Notice
from forewarn.services.statuspage.feeds import atom
from forewarn.services.statuspage.state import StatusView

from ..factories import START, make_window

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
COMPOSER = Composer(TEMPLATES, provider="cloud.example.net", mail_from="maintenance@cloud.example.net")
ORGANIZER = Organizer("cloud.example.net", "maintenance@cloud.example.net")
STAMP = datetime(2026, 11, 28, 12, tzinfo=UTC)
# What an attacker or a careless export puts in: line breaks, escapes, bells,
# bidi overrides and isolates, zero-width characters, a BOM, a non-character.
TRICKS = ["\r", "\n", "\r\n", "\x1b[31m", "\x07", "\x0b", "\x85", "\u202e", "\u2066", "\u200b", "\ufeff",
          "\u2028", "\uffff", "[bold]", '"', ";", ",", "\\", "<b>", "&", "😀", "👨‍👩‍👧", "Åsa"]  # fmt: skip
hostile = st.lists(
    st.one_of(st.characters(exclude_categories=("Cs",)), st.sampled_from(TRICKS)), max_size=40
).map("".join)
ENCODED_WORD = re.compile(rb"=\?[^?]+\?[bBqQ]\?[^?]*\?=")


def _unescape(text: str) -> str:
    """RFC 5545's TEXT unescaping, as a reader of the invitation applies it."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), text)


def _refused_for(exc: ValidationError, field: str) -> bool:
    return any(e["loc"][0] == field and "control or invisible character" in e["msg"] for e in exc.errors())


def _notice(name: str, resource_id: str, title: str = "Kernel update") -> Notice:
    contact = Contact(email="ops@acme.example", name=name)
    tenant = TenantImpact(
        tenant_id="acme",
        name="Acme AB",
        timezone="Europe/Stockholm",
        locale="sv",
        contacts=[contact],
        resources=[AffectedResource(id=resource_id, name="web", kind="vm", host="sto1-cmp-01")],
        impact=Impact.OUTAGE,
    )
    return Notice(kind="scheduled", window=make_window(title=title), tenant=tenant, contact=contact)


def _invite(msg) -> Calendar:
    [ics] = [p for p in msg.walk() if p.get_filename() == "invite.ics"]
    return Calendar.from_ical(ics.get_payload(decode=True))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=hostile, resource_id=hostile)
def test_inventory_text_is_refused_or_reaches_the_recipient_unchanged(name: str, resource_id: str) -> None:
    try:
        contact = ContactIn.model_validate({"email": "ops@acme.example", "name": name})
    except ValidationError as exc:
        assert _refused_for(exc, "name") and unsafe_character(name)
        return
    try:
        resource = ResourceIn.model_validate(
            {"id": resource_id, "name": "web", "kind": "vm", "host": "sto1-cmp-01", "tenant": "acme"}
        )
    except ValidationError as exc:
        assert _refused_for(exc, "id") or not 1 <= len(resource_id.strip()) <= 64
        return
    assert unsafe_character(contact.name) is None and unsafe_character(resource.id) is None

    raw = COMPOSER.compose(_notice(contact.name, resource.id), stamp=STAMP).as_bytes()
    head = raw.split(b"\n\n", 1)[0]
    assert max(len(line) for line in head.split(b"\n")) <= 998  # what every SMTP server takes
    assert all(len(word) <= 75 for word in ENCODED_WORD.findall(head))  # RFC 2047
    parsed = message_from_bytes(raw, policy=policy.compat32)
    to = str(make_header(decode_header(parsed["To"])))
    assert to.endswith(" <ops@acme.example>") or to == "ops@acme.example"
    if contact.name and not contact.name.isascii():
        # Encoded words, or, where what is left is ASCII (a no-break space made a space), a quoted name.
        shown = one_line(contact.name)
        assert to in (f"{shown} <ops@acme.example>", formataddr((shown, "ops@acme.example")))
    [event] = _invite(parsed).walk("VEVENT")
    # X- properties are TEXT (RFC 5545 3.8.8.2); the library leaves their escapes to the reader.
    assert _unescape(str(event["X-MAINTNOTE-OBJECT-ID"])) == resource.id
    [attendee] = event["ATTENDEE"] if isinstance(event["ATTENDEE"], list) else [event["ATTENDEE"]]
    assert attendee.params.get("CN", "") == param_text(contact.name)


def _book(title: str) -> BookWindow:
    return BookWindow(
        command_id="cmd-00000001",
        title=title,
        impact=Impact.OUTAGE,
        start=START,
        end=START + timedelta(hours=1),
        hosts=HostSelector(nodeset="sto1-cmp-01"),
    )


def _outputs(title: str) -> dict[str, str]:
    """The title as each way out shows it: Atom, the public calendar, a notice's HTML, the terminal."""
    window = make_window().model_copy(update={"title": title})
    view = StatusView([("STO1", "compute")])
    view.apply(subjects.SCHEDULED, WindowScheduled(window=make_window()).model_dump_json().encode(), 1)
    view.views[window.id] = window
    view.windows[window.id].title = title
    feed = ET.fromstring(atom(view, url="https://status.example.net", name="Example"))
    [entry] = feed.findall("{http://www.w3.org/2005/Atom}entry")
    # Read as RFC 5545 says (unfold, then unescape in one pass): the icalendar library's own
    # reader turns an escaped "\\N" back into a line break.
    ics = public_event(window, ORGANIZER, location="STO1", stamp=STAMP).to_ical().decode()
    summary = next(line for line in ics.replace("\r\n ", "").split("\r\n") if line.startswith("SUMMARY:"))
    mail = COMPOSER.compose(replace(_notice("Ops", "vm-1"), window=window), stamp=STAMP)
    html = mail.get_payload()[0].get_payload()[1].get_payload(decode=True).decode()
    console = Console(record=True, width=400, color_system=None)
    with patch.object(render, "console", console):
        render.print_window(window.model_dump(mode="json"), [], headline="Window")
    return {
        "atom": entry.findtext("{http://www.w3.org/2005/Atom}title"),
        "ics": _unescape(summary.removeprefix("SUMMARY:")),
        "html": html,
        "terminal": console.export_text(),
    }


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=hostile)
def test_a_title_is_refused_or_shown_as_it_is_everywhere(title: str) -> None:
    try:
        book = _book(title)
    except ValidationError as exc:
        assert _refused_for(exc, "title") or not 1 <= len(title) <= 200
        return
    out = _outputs(book.title)
    assert out["atom"].endswith(f": {book.title}")
    assert out["ics"] == book.title
    escaped = book.title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert escaped in out["html"] or escaped.replace('"', "&#34;").replace("'", "&#39;") in out["html"]
    assert book.title.strip() in out["terminal"] or not book.title.strip()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=hostile.filter(lambda t: unsafe_character(t) is not None))
def test_a_title_that_got_past_the_rules_still_breaks_nothing(title: str) -> None:
    out = _outputs(title)
    assert out["atom"].endswith(printable(title))
    assert out["ics"] == printable(title)
    assert "\x1b" not in out["terminal"] and "\x07" not in out["terminal"]


@settings(max_examples=100, deadline=None)
@given(name=hostile)
def test_a_tenant_name_cannot_break_its_calendar_feed(name: str) -> None:
    # A bare CR in a tenant's name once put END:VCALENDAR into X-WR-CALNAME of its feed.
    tenant = _notice("Ops", "vm-1").tenant
    feed = Calendar.from_ical(
        feed_calendar(f"Maintenance for {name}", [(make_window(), tenant)], ORGANIZER, stamp=STAMP)
    )
    assert [c.name for c in feed.walk()] == ["VCALENDAR", "VEVENT", "VALARM"]
    assert _unescape(str(feed["X-WR-CALNAME"])) == printable(f"Maintenance for {name}")
