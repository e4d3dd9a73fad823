"""One notice email: text and HTML from templates, the invitation inside and attached.

What a notice is and its ledger key are notice.py's; times in the tenant's words,
wording.py's; the MIME structure, mime.py's.
"""

from __future__ import annotations

from datetime import datetime
from email.mime.multipart import MIMEMultipart
from email.utils import format_datetime
from pathlib import Path
from typing import get_args

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..answers.links import AnswerLinks
from ..common import rolling
from ..ical.cache import Invitations
from ..ical.invitation import Organizer, location_of, method_for
from .headers import one_line, set_data_headers
from .mime import notice_mime
from .notice import Notice, NoticeKind, is_master, notice_id
from .wording import extended, local_time, moved, ran, series_words, slots, span

# Which template renders each kind of notice; all kinds share one layout today.
TEMPLATES: dict[str, tuple[str, str]] = {
    kind: ("notice.txt.j2", "notice.html.j2") for kind in get_args(NoticeKind)
}
# The notices that ask for an answer: those about a plan still ahead.
ASKS_ANSWER = frozenset({"scheduled", "updated", "reminder", "escalation", "joined", "series"})


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
        status_url: str | None = None,
    ) -> None:
        self.status_url = status_url.rstrip("/") if status_url else None
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
            # Where the window's public page is, when the status page's address is known.
            "page": f"{self.status_url}/windows/{window.id}" if self.status_url else None,
            # Only an invitation updates a calendar: a notice-mode attachment is for reading.
            "invitation": contact.mode == "invite",
            "moved": None,
            "extended": None,
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
        elif notice.previous_end and notice.previous_end != end:
            context["extended"] = extended(notice.previous_end, end, tenant.timezone, locale)
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
        msg = notice_mime(text, html, calendar, method)
        set_data_headers(
            msg,
            subject=subject,
            sender=(self.organizer.name, self.mail_from),
            to=(contact.name, contact.email),
        )
        msg["Date"] = format_datetime(stamp)
        msg["Message-ID"] = self.message_id(notice)
        msg["In-Reply-To"] = self.thread_id(notice)
        msg["References"] = self.thread_id(notice)
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Auto-Response-Suppress"] = "All"
        return msg
