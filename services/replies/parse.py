"""Calendar answers in mail: what a contact's Outlook, Gmail or Thunderbird sends the organizer.

An invitation's REPLY (RFC 5546) says the attendee's PARTSTAT; a COUNTER
proposes other times. iMIP (RFC 6047) carries either as a text/calendar part,
often twice (inline and as an attachment). The clients differ:

- Outlook prefixes the subject ("Accepted:", "New Time Proposed:", in the
  user's language), writes times in a Windows zone with its VTIMEZONE, may
  leave SEQUENCE out (keeping X-MICROSOFT-CDO-APPT-SEQUENCE, or nothing), and
  writes a comment as COMMENT;
- Gmail sends method=REPLY inline and as invite.ics, and a note as the
  attendee's X-RESPONSE-COMMENT;
- Thunderbird adds X-MOZ-* properties, X-MOZ-RECEIVED-SEQUENCE among them;
- an assistant answering for someone is named by SENT-BY; a contact who hands
  the invitation on answers DELEGATED with DELEGATED-TO, and the delegate's own
  answer carries DELEGATED-FROM.

Only the calendar data is read, never the subject. Plain functions: the
service and the tests call them alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime

from icalendar import Calendar

from forewarn.schemas.answers import Answer

ANSWERS = {"ACCEPTED": Answer.ACCEPTED, "TENTATIVE": Answer.TENTATIVE, "DECLINED": Answer.DECLINED}
_CALENDAR_TYPES = ("text/calendar", "application/ics")
# Where each client writes the SEQUENCE it answers: the standard's, Outlook's own, Thunderbird's.
_SEQUENCES = ("SEQUENCE", "X-MICROSOFT-CDO-APPT-SEQUENCE", "X-MOZ-RECEIVED-SEQUENCE")
# Our notices' Message-IDs name the revision: <window.tenant.kind.rN.who@provider>.
_REVISION_IN_ID = re.compile(r"^<?mw-[a-z0-9]+\.[^@]*\.r(\d+)\.[0-9a-f]+@")


@dataclass(frozen=True)
class CalendarAnswer:
    """One attendee's answer to one of our invitations, as the mail says it."""

    window_id: str
    tenant_id: str
    attendee: str
    answer: Answer
    sequence: int | None
    start: datetime | None
    end: datetime | None
    comment: str
    delegated_from: str  # whom a delegate answers for: it counts only if that one named it
    sender: str  # the From address
    answered_at: datetime | None
    message_id: str


@dataclass(frozen=True)
class Delegation:
    """An attendee handing one of our invitations on to others (PARTSTAT=DELEGATED)."""

    window_id: str
    tenant_id: str
    delegator: str
    delegates: tuple[str, ...]


def read_answers(raw: bytes, provider: str) -> list[CalendarAnswer]:
    """The answers to our invitations in one mail; none for anything else."""
    return [a for a in read_mail(raw, provider) if isinstance(a, CalendarAnswer)]


def read_mail(raw: bytes, provider: str) -> list[CalendarAnswer | Delegation]:
    """The answers and the delegations that one mail holds about our invitations."""
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    uid_pattern = re.compile(rf"^(mw-[a-z0-9]+)\.(.+)@{re.escape(provider)}$", re.IGNORECASE)
    sender = _address(msg.get("From", ""))
    message_id = str(msg.get("Message-ID", "")).strip()
    hinted = _revision_hint(msg)
    sent = _date(msg)
    found: dict[tuple[str, str], CalendarAnswer | Delegation] = {}
    for part in msg.walk():
        if part.get_content_type() not in _CALENDAR_TYPES or part.is_multipart():
            continue
        calendar = _calendar(part)
        if calendar is None:
            continue
        method = str(calendar.get("METHOD", part.get_param("method") or "")).upper()
        if method not in ("REPLY", "COUNTER"):
            continue
        for event in calendar.walk("VEVENT"):
            ours = uid_pattern.match(str(event.get("UID", "")))
            if ours is None:
                continue
            for item in _answers(event, method, ours.group(1).lower(), ours.group(2), sender, hinted):
                if isinstance(item, CalendarAnswer):
                    item = _complete(item, message_id, sent)
                    key = (item.window_id + item.tenant_id, item.attendee)
                else:
                    key = (item.window_id + item.tenant_id, f"delegation:{item.delegator}")
                found.setdefault(key, item)
    return list(found.values())


def _answers(event, method: str, window_id: str, tenant_id: str, sender: str, hinted: int | None):
    sequence = next(
        (_int(event.get(name)) for name in _SEQUENCES if event.get(name) is not None),
        hinted,
    )
    start, end = _time(event.get("DTSTART")), _time(event.get("DTEND"))
    comment = str(event.get("COMMENT", "") or "")
    stamp = _time(event.get("DTSTAMP"))
    attendees = event.get("ATTENDEE", [])
    for attendee in attendees if isinstance(attendees, list) else [attendees]:
        params = getattr(attendee, "params", {})
        partstat = str(params.get("PARTSTAT", "")).upper()
        if method == "COUNTER":
            answer = Answer.PROPOSED
        elif partstat in ANSWERS:
            answer = ANSWERS[partstat]
        elif partstat == "DELEGATED":
            to = tuple(a for a in map(_mailto, _list(params.get("DELEGATED-TO"))) if a)
            if to:
                yield Delegation(window_id, tenant_id, _mailto(attendee), to)
            continue
        else:
            continue  # NEEDS-ACTION: no answer yet
        yield CalendarAnswer(
            window_id=window_id,
            tenant_id=tenant_id,
            attendee=_mailto(attendee),
            answer=answer,
            sequence=sequence,
            start=start,
            end=end,
            comment=(str(params.get("X-RESPONSE-COMMENT", "")) or comment).strip(),
            delegated_from=_mailto(params.get("DELEGATED-FROM")),
            sender=sender,
            answered_at=stamp,
            message_id="",
        )


def _list(value) -> list[str]:
    """A parameter that may hold several values (DELEGATED-TO), as a list."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [v for v in str(value).split(",") if v]


def _complete(answer: CalendarAnswer, message_id: str, sent: datetime | None) -> CalendarAnswer:
    return replace(answer, message_id=message_id, answered_at=answer.answered_at or sent)


def _calendar(part) -> Calendar | None:
    try:
        content = part.get_content()
        data = content.encode() if isinstance(content, str) else content
        return Calendar.from_ical(data)
    except (ValueError, KeyError, LookupError):
        return None


def _revision_hint(msg: EmailMessage) -> int | None:
    """The revision our notice named, from the reply's In-Reply-To or References."""
    for header in ("In-Reply-To", "References"):
        for token in str(msg.get(header, "")).split():
            if found := _REVISION_IN_ID.match(token):
                return int(found.group(1))
    return None


def _date(msg: EmailMessage) -> datetime | None:
    try:
        sent = parsedate_to_datetime(str(msg.get("Date", "")))
    except (TypeError, ValueError):
        return None
    return sent.astimezone(UTC) if sent.tzinfo else sent.replace(tzinfo=UTC)


def _time(prop) -> datetime | None:
    value = getattr(prop, "dt", None)
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


def _int(prop) -> int | None:
    try:
        return int(str(prop)) if prop is not None else None
    except ValueError:
        return None


def _mailto(value) -> str:
    text = str(value or "").strip().strip('"')
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    return text.strip().lower()


def _address(header: str) -> str:
    return parseaddr(str(header))[1].strip().lower()
