"""Every mail forewarn sends keeps its headers, whatever text it carries, encoded words included.

A title or a name may hold RFC 2047 encoded words that decode to a line break
and another header (`=?utf-8?q?x=0D=0ABcc:_evil@x.example?=`). For each kind of
mail (a tenant's notice, an escalation, ops' report, ops' mail about an answer)
the test writes such text into every field that reaches a header, parses the
bytes as a mail server would, and finds exactly the headers forewarn set.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from email import message_from_bytes, policy
from email.header import Header, decode_header, make_header

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forewarn.schemas.answers import Answer, ReplyReceived
from forewarn.schemas.base import Impact
from forewarn.schemas.impact import Contact, TenantImpact
from forewarn.schemas.notices import NoticeCounts, ReportPublished
from forewarn.services.mail.headers import bare_address, mailbox, one_line, text
from forewarn.services.mail.notice import Notice
from forewarn.services.reporter.mail import compose_objection, compose_report

from ..factories import START, make_window
from .test_hostile_text import COMPOSER, STAMP

SMUGGLED = ["\r\nBcc: evil@x.example", "\r\nReply-To: attacker@evil.example\r\nX-Injected: yes", "\n\nbody"]


def _encoded(inner: str, how: str) -> str:
    """`inner` as a client would decode it from an encoded word: base64, Q, or Q by hand."""
    if how == "q-by-hand":
        return "=?utf-8?q?" + "".join(f"={b:02X}" if b < 33 or b > 126 or chr(b) in "=?_" else chr(b)
                                      for b in inner.encode()).replace("=20", "_") + "?="  # fmt: skip
    return Header(inner, "utf-8").encode() if how == "b" else Header(inner, "utf-8", header_name="S").encode()


words = st.builds(
    lambda before, inner, trick, how, after: f"{before}{_encoded(inner + trick, how)}{after}",
    st.text(max_size=10),
    st.text(max_size=10),
    st.sampled_from(SMUGGLED),
    st.sampled_from(["b", "q", "q-by-hand"]),
    st.text(max_size=10),
)
# Nested: an encoded word whose text is itself an encoded word.
nested = words.map(lambda w: Header(w, "utf-8").encode())
header_text = st.one_of(words, nested, st.text(max_size=40))


def _headers(raw: bytes) -> Counter[str]:
    parsed = message_from_bytes(raw, policy=policy.compat32)
    return Counter(name.lower() for name in parsed)


def _shown(raw: bytes, name: str) -> str:
    value = message_from_bytes(raw, policy=policy.compat32)[name]
    unfolded = re.sub(r"\r?\n(?=[ \t])", "", value)  # RFC 5322 unfolding, as every reader does first
    return str(make_header(decode_header(unfolded)))


def _notice(kind: str, title: str, name: str) -> Notice:
    contact = Contact(email="ops@acme.example", name=name)
    tenant = TenantImpact(
        tenant_id="acme", name="Acme AB", timezone="Europe/Stockholm", locale="en",
        contacts=[contact], resources=[], impact=Impact.OUTAGE,
    )  # fmt: skip
    lead = 3600 if kind == "escalation" else None
    return Notice(kind=kind, window=make_window(title=title), tenant=tenant, contact=contact, lead=lead)


def _report(title: str) -> ReportPublished:
    return ReportPublished(
        window=make_window(title=title), outcome="completed", planned_start=START,
        planned_end=START + timedelta(hours=1), actual_start=START, actual_end=START + timedelta(hours=1),
        overrun=timedelta(0), tenant_count=1, resource_count=1, components=[], notices=NoticeCounts(),
        notices_by_kind={}, failures=[], failure_count=0,
    )  # fmt: skip


def _reply(tenant: str, contact: str) -> ReplyReceived:
    return ReplyReceived(
        reply_id="abcdef123456", window_id="mw-abcdefgh", revision=1, tenant_id=tenant, contact=contact,
        answer=Answer.DECLINED, via="link",
    )  # fmt: skip


NOTICE_HEADERS = {"subject", "from", "to", "date", "message-id", "in-reply-to", "references",
                  "auto-submitted", "x-auto-response-suppress", "content-type", "mime-version"}  # fmt: skip
OPS_HEADERS = {
    "subject",
    "from",
    "to",
    "date",
    "message-id",
    "auto-submitted",
    "content-type",
    "mime-version",
}
OPS = {
    "provider": "cloud.example.net",
    "sender": "maintenance@cloud.example.net",
    "to": "ops@cloud.example.net",
}


def _exactly(raw: bytes, names: set[str]) -> None:
    found = _headers(raw)
    assert set(found) == names, set(found) ^ names
    assert all(count == 1 for count in found.values()), found
    for name in ("Subject", "To", "From"):
        assert "\r" not in _shown(raw, name) and "\n" not in _shown(raw, name)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=header_text, name=header_text, kind=st.sampled_from(["scheduled", "escalation"]))
def test_a_tenants_notice_keeps_its_headers(title: str, name: str, kind: str) -> None:
    title, name = one_line(title) or "x", one_line(name)  # what the entry rules leave
    raw = COMPOSER.compose(_notice(kind, title, name), stamp=STAMP).as_bytes()
    _exactly(raw, NOTICE_HEADERS)
    assert _shown(raw, "To").endswith("<ops@acme.example>") or _shown(raw, "To") == "ops@acme.example"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=header_text)
def test_ops_report_keeps_its_headers(title: str) -> None:
    msg = compose_report(COMPOSER.env, _report(one_line(title) or "x"), [], [], **OPS, stamp=STAMP)
    _exactly(msg.as_bytes(), OPS_HEADERS)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=header_text, tenant=header_text)
def test_ops_mail_about_an_answer_keeps_its_headers(title: str, tenant: str) -> None:
    msg = compose_objection(
        _reply(one_line(tenant)[:64] or "acme", "ops@acme.example"), title, **OPS, stamp=STAMP
    )
    _exactly(msg.as_bytes(), OPS_HEADERS | {"content-transfer-encoding"})  # one text part


def test_the_reviews_title_is_one_subject() -> None:
    title = "Kernel =?utf-8?q?update=0D=0AReply-To:_attacker@evil.example=0D=0AX-Injected:_yes?= done"
    assert one_line(title) == "Kernel update Reply-To: attacker@evil.example X-Injected: yes done"
    assert text(title) == one_line(title)
    raw = compose_report(COMPOSER.env, _report(title), [], [], **OPS, stamp=STAMP).as_bytes()
    assert b"\nReply-To:" not in raw and b"\nX-Injected:" not in raw


def test_an_encoded_name_cannot_add_a_recipient() -> None:
    name = "=?utf-8?b?" + __import__("base64").b64encode(b"Bob\r\nBcc: evil@x.example").decode() + "?="
    assert mailbox(name, "bob@acme.example") == '"Bob Bcc: evil@x.example" <bob@acme.example>'


def test_what_could_start_an_encoded_word_is_written_apart() -> None:
    assert one_line("costs =?5") == text("costs =?5") == "costs = ?5"
    assert one_line("=?utf-8?x?y?=") == "= ?utf-8?x?y?="


@pytest.mark.parametrize(
    "address", ["a@b.c>, evil@x.example", "a@b.c\r\nBcc: e@x.example", "a b@c.d", "a@b@c"]
)
def test_an_address_that_could_break_out_is_refused(address: str) -> None:
    with pytest.raises(ValueError, match="not a single mail address"):
        bare_address(address)
