"""Delivery over STARTTLS and implicit TLS, with authentication, to a real SMTP server."""

from __future__ import annotations

import ssl
from email.message import EmailMessage

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from forewarn.services.mail.mailer import Mailer, Misconfigured, Permanent
from forewarn.services.notifier.settings import NotifierSettings

from .smtp import Inbox, free_port

USER, PASSWORD = "forewarn", "s3cret-for-tests"


def _authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # let aiosmtpd answer 235 or 535


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca, tmp_path):
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def _server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture
def server(ca):
    """Start aiosmtpd with TLS (implicit or STARTTLS) and required authentication."""
    started = []

    def start(*, implicit: bool) -> tuple[Inbox, int]:
        inbox, port, context = Inbox(), free_port(), _server_context(ca)
        # With implicit TLS the whole session is encrypted, but aiosmtpd only
        # recognises STARTTLS sessions as such when it hides AUTH on plain text.
        tls = (
            {"ssl_context": context, "auth_require_tls": False}
            if implicit
            else {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
        )
        controller = Controller(
            inbox,
            hostname="127.0.0.1",
            port=port,
            auth_required=True,
            authenticator=_authenticate,
            **tls,
        )
        controller.start()
        started.append(controller)
        return inbox, port

    yield start
    for controller in started:
        controller.stop()


def _mail() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "maintenance@cloud.example.net"
    msg["To"] = "ops@acme.example"
    msg["Subject"] = "over TLS"
    msg.set_content("hello")
    return msg


def _settings(port: int, ca_file, **changes) -> NotifierSettings:
    fields = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_ca_file": ca_file,
        "smtp_username": USER,
        "smtp_password": PASSWORD,
    }
    return NotifierSettings(**(fields | changes))


@pytest.mark.parametrize("mode", ["starttls", "tls"])
async def test_delivers_over_tls_with_authentication(server, ca_file, mode) -> None:
    inbox, port = server(implicit=mode == "tls")
    mailer = Mailer(_settings(port, ca_file, smtp_tls=mode))
    try:
        reply = await mailer.send(_mail())
    finally:
        await mailer.close()
    assert reply.startswith("250") or "OK" in reply
    [got] = inbox.messages
    assert got["Subject"] == "over TLS"


async def test_a_wrong_password_stops_delivery_without_failing_the_notice(server, ca_file) -> None:
    """Not Permanent: the notice must not be recorded as failed for a fault in our own settings."""
    _inbox, port = server(implicit=False)
    mailer = Mailer(_settings(port, ca_file, smtp_tls="starttls", smtp_password="wrong"))
    with pytest.raises(Misconfigured, match=r"535 5\.7\.8 .*FOREWARN_SMTP_PASSWORD"):
        await mailer.send(_mail())
    await mailer.close()


async def test_plain_text_is_refused_where_the_server_requires_starttls(server, ca_file) -> None:
    _inbox, port = server(implicit=False)
    mailer = Mailer(_settings(port, ca_file, smtp_tls="none", smtp_username=None, smtp_password=None))
    with pytest.raises(Permanent, match="530"):
        await mailer.send(_mail())
    await mailer.close()


async def test_an_unknown_certificate_authority_is_not_trusted(server) -> None:
    """Refused at once, not retried, and not recorded as failed: the event is redelivered later."""
    _inbox, port = server(implicit=True)
    mailer = Mailer(_settings(port, None, smtp_tls="tls", smtp_timeout=5))
    with pytest.raises(Misconfigured, match=r"CERTIFICATE_VERIFY_FAILED.*FOREWARN_SMTP_CA_FILE"):
        await mailer.send(_mail())
    await mailer.close()
