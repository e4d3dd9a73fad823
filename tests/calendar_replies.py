"""Replies to our invitations shaped as Outlook, Gmail and Thunderbird send them, and mail that is none.

Built from what the invitation said (UID, SEQUENCE, times, attendee), with
each client's own layout: its MIME structure, PRODID, where it puts the
SEQUENCE and the comment, its time zones and its extra properties.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from zoneinfo import ZoneInfo

ORGANIZER = "maintenance@cloud.example.net"


@dataclass(frozen=True)
class Invited:
    """What one invitation told one attendee."""

    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    attendee: str
    name: str = "Jane Doe"
    message_id: str = ""


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def _head(frm: str, subject: str, message_id: str, *, extra: str = "") -> str:
    return (
        f'From: {frm}\nTo: "cloud.example.net maintenance" <{ORGANIZER}>\nSubject: {subject}\n'
        f"Date: {format_datetime(datetime.now(UTC))}\nMessage-ID: {message_id}\nMIME-Version: 1.0\n{extra}"
    )


# Outlook writes local times in a Windows zone, with that zone's VTIMEZONE.
_WEST_EUROPE = """BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
"""


def _west_europe(at: datetime) -> str:
    """Local time in "W. Europe Standard Time" (Berlin's rules, as its VTIMEZONE says), as Outlook writes."""
    return at.astimezone(ZoneInfo("Europe/Berlin")).strftime("%Y%m%dT%H%M%S")


def outlook(
    invited: Invited,
    partstat: str = "ACCEPTED",
    *,
    counter: tuple[datetime, datetime] | None = None,
    comment: str = "",
    sequence: bool = True,
    message_id: str = "<DB9PR01MB7641A1B2C3D4E5F6@DB9PR01MB7641.eurprd01.prod.exchangelabs.com>",
) -> bytes:
    """Outlook (Exchange Online): a REPLY, or with counter=(start, end) a COUNTER ("Propose New Time").

    Without sequence, neither SEQUENCE nor X-MICROSOFT-CDO-APPT-SEQUENCE is written, and
    nothing refers to our notice: the times are all it says of the plan it answers.
    """
    method = "COUNTER" if counter else "REPLY"
    prefix = (
        "New Time Proposed"
        if counter
        else {"ACCEPTED": "Accepted", "TENTATIVE": "Tentative"}.get(partstat, "Declined")
    )
    start, end = counter or (invited.start, invited.end)
    lines = [
        "BEGIN:VCALENDAR",
        f"METHOD:{method}",
        "PRODID:Microsoft Exchange Server 2010",
        "VERSION:2.0",
        _WEST_EUROPE.strip(),
        "BEGIN:VEVENT",
        f'ATTENDEE;PARTSTAT={"TENTATIVE" if counter else partstat};CN="{invited.name}"'
        f":mailto:{invited.attendee}",
    ]
    if comment:
        lines.append(f"COMMENT;LANGUAGE=en-US:{comment}")
    lines += [
        f"SUMMARY;LANGUAGE=en-US:{prefix}: {invited.summary}",
        f"DTSTART;TZID=W. Europe Standard Time:{_west_europe(start)}",
        f"DTEND;TZID=W. Europe Standard Time:{_west_europe(end)}",
        f"UID:{invited.uid}",
        "CLASS:PUBLIC",
        "PRIORITY:5",
        f"DTSTAMP:{_utc(datetime.now(UTC))}",
        "TRANSP:OPAQUE",
        "STATUS:CONFIRMED",
    ]
    if sequence:
        lines.append(
            f"SEQUENCE:{invited.sequence}" if counter else f"X-MICROSOFT-CDO-APPT-SEQUENCE:{invited.sequence}"
        )
    if counter:
        lines.append(f"X-MS-OLK-ORIGINALSTART;TZID=W. Europe Standard Time:{_west_europe(invited.start)}")
        lines.append(f"X-MS-OLK-ORIGINALEND;TZID=W. Europe Standard Time:{_west_europe(invited.end)}")
    lines += [f"X-MICROSOFT-CDO-REPLYTIME:{_utc(datetime.now(UTC))}", "END:VEVENT", "END:VCALENDAR", ""]
    ics = base64.encodebytes(_crlf("\n".join(lines)).encode()).decode()
    head = _head(
        f'"{invited.name}" <{invited.attendee}>',
        f"{prefix}: {invited.summary}",
        message_id,
        extra=f"Thread-Topic: {invited.summary}\nThread-Index: AQHZtX1b2c3d4e5f6g7h8i9j0k==\n"
        "X-MS-Has-Attach:\nX-MS-TNEF-Correlator:\n",
    )
    body = (
        f'{head}Content-Type: multipart/alternative; boundary="_000_DB9PR01_"\n\n'
        f'--_000_DB9PR01_\nContent-Type: text/plain; charset="us-ascii"\n\n{comment}\n\n'
        f'--_000_DB9PR01_\nContent-Type: text/calendar; charset="utf-8"; method={method}\n'
        f"Content-Transfer-Encoding: base64\n\n{ics}\n--_000_DB9PR01_--\n"
    )
    return _crlf(body).encode()


def gmail(invited: Invited, partstat: str = "DECLINED", *, note: str = "") -> bytes:
    """Gmail: method=REPLY inline and again as invite.ics; a note is the attendee's X-RESPONSE-COMMENT."""
    word = {"ACCEPTED": "Accepted", "TENTATIVE": "Tentatively Accepted"}.get(partstat, "Declined")
    comment = f';X-RESPONSE-COMMENT="{note}"' if note else ""
    ics = _crlf(
        "BEGIN:VCALENDAR\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\nVERSION:2.0\n"
        "CALSCALE:GREGORIAN\nMETHOD:REPLY\nBEGIN:VEVENT\n"
        f"DTSTART:{_utc(invited.start)}\nDTEND:{_utc(invited.end)}\nDTSTAMP:{_utc(datetime.now(UTC))}\n"
        f"ORGANIZER;CN=cloud.example.net maintenance:mailto:{ORGANIZER}\nUID:{invited.uid}\n"
        f"ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT={partstat};CN={invited.name};"
        f"X-NUM-GUESTS=0{comment}:mailto:{invited.attendee}\n"
        f"SEQUENCE:{invited.sequence}\nSTATUS:CONFIRMED\nSUMMARY:{invited.summary}\nTRANSP:OPAQUE\n"
        "END:VEVENT\nEND:VCALENDAR\n"
    )
    attached = base64.encodebytes(ics.encode()).decode()
    head = _head(
        f"{invited.name} <{invited.attendee}>",
        f"{word}: {invited.summary} ({invited.attendee})",
        "<CAFx7pMmQ9vZ1c2h3Y4w5+kLmN0pQrS@mail.gmail.com>",
        extra=f"In-Reply-To: {invited.message_id}\n" if invited.message_id else "",
    )
    body = (
        f'{head}Content-Type: multipart/mixed; boundary="000000000000a1b2c3"\n\n'
        '--000000000000a1b2c3\nContent-Type: multipart/alternative; boundary="000000000000d4e5f6"\n\n'
        f'--000000000000d4e5f6\nContent-Type: text/plain; charset="UTF-8"\n\n'
        f"{invited.name} has {word.lower()} this invitation.\n{note}\n\n"
        f'--000000000000d4e5f6\nContent-Type: text/calendar; charset="UTF-8"; method=REPLY\n'
        f"Content-Transfer-Encoding: 7bit\n\n{ics}\n--000000000000d4e5f6--\n"
        '--000000000000a1b2c3\nContent-Type: application/ics; name="invite.ics"\n'
        'Content-Disposition: attachment; filename="invite.ics"\nContent-Transfer-Encoding: base64\n\n'
        f"{attached}\n--000000000000a1b2c3--\n"
    )
    return _crlf(body).encode()


def thunderbird(
    invited: Invited,
    partstat: str = "TENTATIVE",
    *,
    sequence: int | None = None,
    delegated_from: str = "",
    delegated_to: str = "",
) -> bytes:
    """Thunderbird: its X-MOZ-* properties beside SEQUENCE.

    A contact handing the invitation on answers DELEGATED with DELEGATED-TO, and
    the delegate's own answer names DELEGATED-FROM.
    """
    seq = invited.sequence if sequence is None else sequence
    delegated = f';DELEGATED-FROM="mailto:{delegated_from}"' if delegated_from else ""
    delegated += f';DELEGATED-TO="mailto:{delegated_to}"' if delegated_to else ""
    ics = _crlf(
        "BEGIN:VCALENDAR\nPRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN\nVERSION:2.0\n"
        "METHOD:REPLY\nBEGIN:VEVENT\n"
        f"CREATED:{_utc(datetime.now(UTC))}\nLAST-MODIFIED:{_utc(datetime.now(UTC))}\n"
        f"DTSTAMP:{_utc(datetime.now(UTC))}\nUID:{invited.uid}\nSUMMARY:{invited.summary}\n"
        f"ORGANIZER;CN=cloud.example.net maintenance:mailto:{ORGANIZER}\n"
        f"ATTENDEE;RSVP=TRUE;PARTSTAT={partstat};CN={invited.name};ROLE=REQ-PARTICIPANT{delegated}:"
        f"mailto:{invited.attendee}\n"
        f"DTSTART:{_utc(invited.start)}\nDTEND:{_utc(invited.end)}\nSEQUENCE:{seq}\n"
        f"X-MOZ-RECEIVED-SEQUENCE:{seq}\nX-MOZ-RECEIVED-DTSTAMP:{_utc(datetime.now(UTC))}\n"
        "X-MOZ-GENERATION:1\nEND:VEVENT\nEND:VCALENDAR\n"
    )
    word = {"ACCEPTED": "Accepted", "TENTATIVE": "Tentative", "DELEGATED": "Delegated"}.get(
        partstat, "Declined"
    )
    head = _head(
        f"{invited.name} <{invited.attendee}>",
        f"{word}: {invited.summary}",
        f"<{datetime.now(UTC).timestamp():.0f}.thunderbird@{invited.attendee.split('@')[1]}>",
        extra="User-Agent: Mozilla Thunderbird\n",
    )
    body = (
        f'{head}Content-Type: multipart/mixed; boundary="------------mozZ0123456789"\n\n'
        "--------------mozZ0123456789\nContent-Type: text/plain; charset=UTF-8\n\n"
        f"{invited.name} has replied: {word}.\n\n"
        "--------------mozZ0123456789\nContent-Type: text/calendar; charset=UTF-8; method=REPLY\n"
        f"Content-Transfer-Encoding: 8bit\n\n{ics}\n"
        "--------------mozZ0123456789\nContent-Type: application/ics; name=invite.ics\n"
        "Content-Disposition: attachment; filename=invite.ics\nContent-Transfer-Encoding: 8bit\n\n"
        f"{ics}\n--------------mozZ0123456789--\n"
    )
    return _crlf(body).encode()


def out_of_office(to_subject: str) -> bytes:
    """An automatic reply: no calendar in it."""
    head = _head(
        "Holiday Person <away@tenant.example>", f"Automatic reply: {to_subject}", "<ooo.1@tenant.example>"
    )
    return _crlf(
        f"{head}Auto-Submitted: auto-replied\nContent-Type: text/plain\n\nI am away until January.\n"
    ).encode()


def someone_elses_invitation() -> bytes:
    """A calendar REPLY, but to another organizer's event."""
    ics = _crlf(
        "BEGIN:VCALENDAR\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\nVERSION:2.0\nMETHOD:REPLY\n"
        "BEGIN:VEVENT\nDTSTART:20261210T100000Z\nDTEND:20261210T110000Z\nDTSTAMP:20261130T100000Z\n"
        "UID:4f7c1a2b3c@google.com\nATTENDEE;PARTSTAT=ACCEPTED:mailto:someone@else.example\nSEQUENCE:0\n"
        "END:VEVENT\nEND:VCALENDAR\n"
    )
    head = _head("Someone <someone@else.example>", "Accepted: Team lunch", "<lunch.1@else.example>")
    return _crlf(f"{head}Content-Type: text/calendar; charset=UTF-8; method=REPLY\n\n{ics}").encode()
