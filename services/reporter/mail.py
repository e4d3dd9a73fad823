"""The full report as an email to the ops mailbox: a summary to read, all of it as JSON."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from babel.dates import format_timedelta
from jinja2 import Environment

from forewarn.schemas.answers import Answer, ReplyReceived
from forewarn.schemas.notices import NoticeFailure, ReportPublished

from ..mail.headers import one_line, set_data_headers

# The mail lists this many tenants; the attached JSON has them all.
TENANTS_LISTED = 200


def overrun_text(overrun: timedelta) -> str:
    return format_timedelta(overrun, locale="en") if overrun else "none"


def compose_report(
    env: Environment,
    report: ReportPublished,
    tenants: list[dict[str, Any]],
    failures: list[NoticeFailure],
    *,
    provider: str,
    sender: str,
    to: str,
    stamp: datetime,
) -> EmailMessage:
    """The ops mail for one report: text and HTML summaries, report.json attached."""
    window = report.window
    late = f", overran by {overrun_text(report.overrun)}" if report.overrun else ""
    subject = one_line(f"[Report] {window.title} – {report.outcome}{late} ({window.id})")
    context = {
        "r": report,
        "w": window,
        "subject": subject,
        "provider": provider,
        "overrun": overrun_text(report.overrun),
        "tenants": tenants[:TENANTS_LISTED],
        "more_tenants": max(len(tenants) - TENANTS_LISTED, 0),
        "more_failures": report.failure_count - len(report.failures),
    }
    full = report.model_dump(mode="json") | {
        "tenants": tenants,
        "failures": [f.model_dump(mode="json") for f in failures],
    }
    msg = EmailMessage(policy=policy.SMTP)
    msg.set_content(env.get_template("report.txt.j2").render(context))
    msg.add_alternative(env.get_template("report.html.j2").render(context), subtype="html")
    msg.add_attachment(
        json.dumps(full, indent=2, ensure_ascii=False).encode(),
        maintype="application",
        subtype="json",
        filename=f"report-{window.id}.json",
    )
    return _to_ops(msg, subject, f"<report.{window.id}@{provider}>", provider, sender, to, stamp)


def compose_objection(
    reply: ReplyReceived, title: str, *, provider: str, sender: str, to: str, stamp: datetime
) -> EmailMessage:
    """The ops mail for a tenant that declined a window or asked for another time."""
    what = "declined" if reply.answer is Answer.DECLINED else "asks for another time"
    lines = [
        f"Tenant {reply.tenant_id} {what} for window {reply.window_id} ({one_line(title)}),",
        f"answering revision {reply.revision}, by {reply.contact} via {reply.via}.",
    ]
    if reply.proposed_start:
        lines.append(f"Proposed start: {reply.proposed_start:%Y-%m-%d %H:%M} UTC")
    if reply.comment:
        lines += ["", "Comment:", reply.comment]
    lines += ["", f"forewarn show {reply.window_id} lists every answer."]
    msg = EmailMessage(policy=policy.SMTP)
    msg.set_content("\n".join(lines) + "\n")
    subject = f"[Answer] {reply.tenant_id} {what}: {title} ({reply.window_id})"
    return _to_ops(msg, subject, f"<answer.{reply.reply_id}@{provider}>", provider, sender, to, stamp)


def _to_ops(
    msg: EmailMessage, subject: str, message_id: str, provider: str, sender: str, to: str, stamp: datetime
) -> EmailMessage:
    """An ops mail's headers, once its content is set (set_data_headers says why)."""
    set_data_headers(msg, subject=subject, sender=(f"{provider} maintenance", sender), to=("", to))
    msg["Date"] = format_datetime(stamp)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    return msg
