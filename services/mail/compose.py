"""One notice email: text and HTML from templates, the invitation inside and attached."""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import Compat32
from email.utils import format_datetime
from pathlib import Path
from typing import Literal, get_args
from zoneinfo import ZoneInfo

import yaml
from babel.dates import format_datetime as babel_datetime
from babel.dates import format_timedelta
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from forewarn.schemas.impact import Contact, TenantImpact
from forewarn.schemas.windows import WindowView

from ..answers.links import AnswerLinks
from ..common import rolling
from ..common.hostnames import fold
from ..ical.cache import Invitations
from ..ical.invitation import Organizer, location_of, method_for
from ..ical.series import remaining
from ..privacy.pseudonyms import contact_key
from .headers import one_line, set_data_headers

NoticeKind = Literal[
    "scheduled",
    "updated",
    "cancelled",
    "reminder",
    "escalation",
    "started",
    "completed",
    "joined",
    "withdrawn",
    "cleared",
    "series",
]
# Which template renders each kind of notice; all kinds share one layout today.
TEMPLATES: dict[str, tuple[str, str]] = {
    kind: ("notice.txt.j2", "notice.html.j2") for kind in get_args(NoticeKind)
}
# The notices a drift sends: a tenant can join and leave a revision more than once.
DRIFT_KINDS = ("joined", "withdrawn")
# A header value that folding leaves as it is when short: printable ASCII, single spaces.
_PLAIN = re.compile(r"[!-~]+(?: [!-~]+)*")
# The notices that ask for an answer: those about a plan still ahead.
ASKS_ANSWER = frozenset({"scheduled", "updated", "reminder", "escalation", "joined", "series"})
# Ending a minute or two late is on time; say so only past this.
OVERRUN_SHOWN = timedelta(minutes=5)


@dataclass(frozen=True)
class Notice:
    """What to tell one contact of one tenant about one window revision."""

    kind: NoticeKind
    window: WindowView
    tenant: TenantImpact
    contact: Contact
    previous_start: datetime | None = None  # set when the window moved
    lead: int | None = None  # seconds before the start, for reminders and escalations
    drift: int | None = None  # which drift of the revision, for a tenant joining or leaving


def is_master(notice: Notice) -> bool:
    """Whether the notice carries its series' recurring VEVENT: the booking, with its first occurrence."""
    series = notice.window.series
    if series is None:
        return False
    return notice.kind == "series" or (series.lead and notice.kind == "scheduled")


def told_start(notice: Notice) -> datetime:
    """The start this notice tells its tenant: in a rolling window, its own first slot's."""
    return rolling.tenant_slot(notice.window, notice.tenant)[0]


def ledger_kind(notice: Notice) -> str:
    """The kind as the ledger keys it: each reminder lead, and each drift, is a notice of its own."""
    if notice.lead is not None:
        return f"{notice.kind}-{notice.lead}s"
    if notice.kind in DRIFT_KINDS:
        return f"{notice.kind}-d{notice.drift or 0}"
    return notice.kind


def notice_id(notice: Notice) -> str:
    """The ledger key of a notice: window, tenant, kind, sequence and recipient."""
    w, who = notice.window, contact_key(notice.contact.email)
    return f"{w.id}.{notice.tenant.tenant_id}.{ledger_kind(notice)}.r{w.revision}.{who}"


def local_time(value: datetime, zone: str, locale: str, *, seconds: bool = False) -> str:
    """'tis 1 dec. 22:00 CET' in the tenant's zone and language; with seconds, '22:00:30'."""
    tz = ZoneInfo(zone)
    pattern = "EEE d MMM yyyy HH:mm:ss" if seconds else "EEE d MMM yyyy HH:mm"
    shown = babel_datetime(value, pattern, tzinfo=tz, locale=locale)
    return f"{shown} {value.astimezone(tz).tzname()}"


def moved(old: datetime, new: datetime, zone: str, locale: str) -> dict[str, str]:
    """The old and new start, to the minute; to the second when only the seconds changed."""
    shown = {"old": local_time(old, zone, locale), "new": local_time(new, zone, locale)}
    if shown["old"] == shown["new"]:
        shown = {
            "old": local_time(old, zone, locale, seconds=True),
            "new": local_time(new, zone, locale, seconds=True),
        }
    return shown


def ran(window: WindowView, zone: str, locale: str) -> dict[str, str | None] | None:
    """When the work really ran, and by how much it overran the plan, in the tenant's words."""
    if not (window.started_at and window.ended_at):
        return None
    overrun = window.ended_at - window.end
    return span(window.started_at, window.ended_at, zone, locale) | {
        "overrun": format_timedelta(overrun, locale=locale) if overrun >= OVERRUN_SHOWN else None,
    }


def slots(window: WindowView, tenant: TenantImpact, zone: str, locale: str) -> list[dict[str, object]]:
    """A rolling window's slots for the tenant's hosts, in its words: number, hosts, times."""
    return [
        {"number": b.number, "hosts": fold(b.hosts), **span(b.start, b.end, zone, locale)}
        for b in rolling.tenant_batches(window, tenant)
    ]


def series_words(notice: Notice, zone: str, locale: str) -> dict[str, object] | None:
    """A series in the tenant's words: each occurrence and each skipped date, or this occurrence."""
    series = notice.window.series
    if series is None:
        return None
    if not is_master(notice):
        return {
            "occurrence": local_time(series.recurrence_id.start, zone, locale),
            "occurrences": [],
            "skipped": [],
        }
    return {
        "occurrence": None,
        "occurrences": [local_time(o.start, zone, locale) for o in remaining(series)],
        "skipped": [(local_time(s.start, zone, locale), s.reason) for s in series.skipped],
    }


def span(start: datetime, end: datetime, zone: str, locale: str) -> dict[str, str | None]:
    """A stretch of time in the tenant's zone and words, and in UTC."""
    return {
        "local": f"{local_time(start, zone, locale)} – {local_time(end, zone, locale)}",
        "utc": f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC",
    }


class Composer:
    """Holds the Jinja environment and the phrase book; built once at start-up."""

    def __init__(
        self,
        templates: Path,
        *,
        provider: str,
        mail_from: str,
        answers: AnswerLinks | None = None,
        rsvp: bool = False,
    ) -> None:
        self.env = Environment(
            loader=FileSystemLoader(templates),
            autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.strings = yaml.safe_load((templates / "strings.yaml").read_text(encoding="utf-8"))
        self.provider = provider
        self.mail_from = mail_from
        self.organizer = Organizer(provider, mail_from, rsvp=rsvp)
        self.invitations = Invitations(self.organizer)
        self.answers = answers

    def message_id(self, notice: Notice) -> str:
        """Stable per notice and recipient, so a resend is recognisably the same mail."""
        return f"<{notice_id(notice)}@{self.provider}>"

    def thread_id(self, notice: Notice) -> str:
        """The thread every mail about one window for one tenant refers to."""
        return f"<{notice.window.id}.{notice.tenant.tenant_id}@{self.provider}>"

    def compose(self, notice: Notice, *, stamp: datetime) -> MIMEMultipart:
        """The complete email for one notice."""
        tenant, window, contact = notice.tenant, notice.window, notice.contact
        locale = tenant.locale if tenant.locale in self.strings else "en"
        words = self.strings[locale]
        start, end = rolling.tenant_slot(window, tenant)
        when_local = local_time(start, tenant.timezone, locale)
        subject = one_line(f"[{words['kind'][notice.kind]}] {window.title} – {when_local}")
        location = location_of(window)
        cleared = notice.kind == "cleared"
        context = {
            "t": words,
            "kind": notice.kind,
            "window": window,
            "tenant": tenant,
            "locale": locale,
            "contact_name": contact.name or tenant.name,
            "provider": self.provider,
            "subject": subject,
            "location": location,
            "when": span(start, end, tenant.timezone, locale),
            # A rolling window: the tenant's own slots, and the whole window's span beside them.
            "slots": slots(window, tenant, tenant.timezone, locale),
            "whole": span(window.start, window.end, tenant.timezone, locale),
            # A series: its occurrences (the booking's notice), or which one this is.
            "series": series_words(notice, tenant.timezone, locale),
            "moved": None,
            "ran": None,
            "answer": None,
        }
        if self.answers and notice.kind in ASKS_ANSWER:
            context["answer"] = self.answers.links(window, tenant.tenant_id, contact.email)
        if notice.kind == "completed":
            context["ran"] = ran(window, tenant.timezone, locale)
        if cleared and (mine := rolling.tenant_ran(window, tenant)):
            context["ran"] = span(*mine, tenant.timezone, locale) | {"overrun": None}
        if notice.previous_start and notice.previous_start != start:
            context["moved"] = moved(notice.previous_start, start, tenant.timezone, locale)
        text_name, html_name = TEMPLATES[notice.kind]
        text = self.env.get_template(text_name).render(context)
        html = self.env.get_template(html_name).render(context)
        withdrawn = notice.kind == "withdrawn"
        calendar = self.invitations.calendar(
            window,
            tenant,
            location=location,
            mode=contact.mode,
            stamp=stamp,
            withdrawn=withdrawn,
            cleared=cleared,
            master=is_master(notice),
        )

        method = method_for(
            window, contact.mode, withdrawn=withdrawn, cleared=cleared, master=is_master(notice)
        )
        msg = _mime(text, html, calendar, method)
        set_data_headers(
            msg,
            subject=subject,
            sender=(f"{self.provider} maintenance", self.mail_from),
            to=(contact.name, contact.email),
        )
        msg["Date"] = format_datetime(stamp)
        msg["Message-ID"] = self.message_id(notice)
        msg["In-Reply-To"] = self.thread_id(notice)
        msg["References"] = self.thread_id(notice)
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Auto-Response-Suppress"] = "All"
        return msg


class _Headers(Compat32):
    """compat32, with a short ASCII header written as it is.

    That is what its folding makes of one anyway, at a fraction of the cost:
    the email package folds each of a notice's 26 headers through its Header
    class, which was a fifth of composing one.
    """

    def fold_binary(self, name: str, value: str) -> bytes:  # type: ignore[override]
        if isinstance(value, str) and len(name) + len(value) < 77 and _PLAIN.fullmatch(value):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


HEADERS = _Headers()


def _boundary() -> str:
    # "=_" is in no base64 line and no header of ours, so the generator need not search
    # the parts for a boundary it picked at random (a regex compiled per message).
    # Short enough that "Content-Type: multipart/alternative; boundary=…" needs no folding.
    return f"=_fw.{secrets.token_hex(8)}"


def _text(body: str, subtype: str) -> MIMENonMultipart:
    """MIMEText(body, subtype, "utf-8"), byte for byte, at a fifth of its cost.

    MIMEText reaches base64 through the email package's charset machinery; the
    body is encoded here directly (a test holds the two to the same bytes).
    """
    part = MIMENonMultipart("text", subtype, policy=HEADERS, charset="utf-8")
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(base64.encodebytes(body.encode()).decode("ascii"))
    return part


def _mime(text: str, html: str, calendar: bytes, method: str | None) -> MIMEMultipart:
    """multipart/mixed: the alternative (text, HTML and, for people, the calendar request) and invite.ics.

    Built with the email package's MIME classes: the same structure as EmailMessage's
    content manager produces, at a small fraction of its cost per message, which is
    what a fan-out to thousands of tenants pays for.
    """
    alternative = MIMEMultipart("alternative", boundary=_boundary(), policy=HEADERS)
    alternative.attach(_text(text, "plain"))
    alternative.attach(_text(html, "html"))
    ics = calendar.decode()
    if method:
        # People's clients act on the calendar part inside the alternative.
        inline = _text(ics, "calendar")
        inline.set_param("method", method)
        alternative.attach(inline)
    attached = _text(ics, "calendar")
    if method:
        attached.set_param("method", method)
    attached.add_header("Content-Disposition", "attachment", filename="invite.ics")
    mixed = MIMEMultipart("mixed", boundary=_boundary(), policy=HEADERS)
    mixed.attach(alternative)
    mixed.attach(attached)
    return mixed
