"""SMTP delivery: reused connections, bounded concurrency, retries for what may pass later."""

from __future__ import annotations

import asyncio
import logging
import ssl
from email.message import Message
from email.utils import getaddresses, parseaddr

import stamina
from aiosmtplib import (
    SMTP,
    SMTPAuthenticationError,
    SMTPConnectError,
    SMTPRecipientsRefused,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)

from .settings import MailSettings

log = logging.getLogger("forewarn.notifier")


class Permanent(Exception):
    """The server refused the mail for good (5xx); retrying cannot help."""


class Misconfigured(Exception):
    """forewarn's own mail settings are wrong (credentials, certificates): neither the
    notice's fault nor worth an immediate retry. The event is redelivered later, so
    nothing is lost once an operator fixes the setting."""


class Transient(Exception):
    """The server or the network said 'not now' (4xx, dropped, down)."""


_TRANSIENT = (Transient, SMTPServerDisconnected, SMTPConnectError, SMTPTimeoutError, OSError)


class Mailer:
    """A small pool of SMTP connections; at most `smtp_concurrency` mails in flight."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self._slots = asyncio.Semaphore(settings.smtp_concurrency)
        self._idle: list[SMTP] = []

    async def send(self, message: Message, *, envelope: tuple[str, list[str]] | None = None) -> str:
        """Deliver one message; return the server's reply, or raise Permanent or a transient error.

        The envelope (sender, recipients) is read from From and To unless given:
        a fan-out knows it, and parsing the addresses back is not free.
        """
        # Flattened once, not once per attempt; Bcc never travels in the headers.
        del message["Bcc"]
        if envelope is None:
            envelope = (
                parseaddr(message["From"])[1],
                [address for _name, address in getaddresses(message.get_all("To", []))],
            )
        sender, recipients = envelope
        data = message.as_bytes()
        async with self._slots:
            return await self._deliver(sender, recipients, data)

    @stamina.retry(on=_TRANSIENT, attempts=6, wait_initial=0.5, wait_max=10.0, timeout=90.0)
    async def _deliver(self, sender: str, recipients: list[str], data: bytes) -> str:
        client = self._idle.pop() if self._idle else await self._connect()
        try:
            _errors, reply = await client.sendmail(sender, recipients, data)
        except SMTPRecipientsRefused as exc:
            await self._discard(client)
            codes = [r.code for r in exc.recipients]
            text = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
            if codes and all(code >= 500 for code in codes):
                raise Permanent(text) from None
            raise Transient(text) from None
        except SMTPResponseException as exc:
            await self._discard(client)
            if exc.code >= 500:
                raise Permanent(f"{exc.code} {exc.message}") from None
            raise Transient(f"{exc.code} {exc.message}") from None
        except BaseException:
            await self._discard(client)
            raise
        self._idle.append(client)
        return reply

    async def _connect(self) -> SMTP:
        s = self.settings
        client = SMTP(
            hostname=s.smtp_host or "127.0.0.1",
            port=s.smtp_port,
            use_tls=s.smtp_tls == "tls",
            start_tls=s.smtp_tls == "starttls",
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            timeout=s.smtp_timeout,
            cert_bundle=str(s.smtp_ca_file) if s.smtp_ca_file else None,
        )
        try:
            await client.connect()
        except SMTPAuthenticationError as exc:
            client.close()
            raise Misconfigured(
                f"{exc.code} {exc.message}: check FOREWARN_SMTP_USERNAME and FOREWARN_SMTP_PASSWORD"
            ) from None
        except SMTPConnectError as exc:
            if isinstance(exc.__cause__ or exc.__context__, ssl.SSLCertVerificationError):
                raise Misconfigured(f"{exc}: check FOREWARN_SMTP_CA_FILE") from None
            raise
        return client

    async def _discard(self, client: SMTP) -> None:
        try:
            client.close()
        except Exception:  # a broken connection may fail to close; it is dropped either way
            log.debug("closing a broken SMTP connection failed", exc_info=True)

    async def close(self) -> None:
        """Say goodbye on every idle connection."""
        while self._idle:
            client = self._idle.pop()
            try:
                await client.quit()
            except Exception:
                client.close()
