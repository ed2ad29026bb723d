"""Transports: how a queued mail leaves the process (SMTP, or the console in development)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Protocol
from urllib.parse import unquote, urlsplit

from identity.config import Settings

log = logging.getLogger("identity.mail")

DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
PERMANENT_REPLY = 500


@dataclass(frozen=True, slots=True)
class Mail:
    """A queued mail as the transports see it: no database row, nothing lazy."""

    id: uuid.UUID
    to: str
    subject: str
    text: str
    html: str
    created_at: datetime


class Transport(Protocol):
    async def send(self, mail: Mail) -> None:
        """Deliver one mail or raise; PermanentFailure means retrying cannot help."""
        ...


class PermanentFailure(Exception):
    """The server refused the mail for good (a 5xx reply to the recipient, say)."""


class MailNotConfigured(Exception):
    """No SMTP server is configured where mail may not be printed (production)."""


def build_message(mail: Mail, *, sender: str) -> EmailMessage:
    """A multipart/alternative message, text first, with a Message-ID fixed per queued mail.

    A retry after an unrecorded success repeats the same Message-ID, so mail clients can tell
    the duplicate.
    """
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = f"<{mail.id}@{domain}>"
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


@dataclass(frozen=True, slots=True)
class SmtpServer:
    hostname: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool


def parse_smtp_url(url: str) -> SmtpServer:
    """``smtp://user:pass@host:587`` or ``smtps://host`` (TLS from the first byte)."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError("an SMTP URL looks like smtp://user:pass@host:587 or smtps://host:465")
    return SmtpServer(
        hostname=parts.hostname,
        port=parts.port or DEFAULT_PORTS[parts.scheme],
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        implicit_tls=parts.scheme == "smtps",
    )


class SmtpTransport:
    """One connection per mail: simple, and nothing to keep alive between quiet polls."""

    def __init__(
        self, server: SmtpServer, *, sender: str, starttls: bool | None, timeout: float
    ) -> None:
        self.server = server
        self.sender = sender
        self.starttls = False if server.implicit_tls else starttls
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpTransport:
        if settings.smtp_url is None:
            raise MailNotConfigured("IDENTITY_SMTP_URL is not set")
        return cls(
            parse_smtp_url(settings.smtp_url.get_secret_value()),
            sender=settings.mail_from,
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        )

    async def send(self, mail: Mail) -> None:
        import aiosmtplib  # loaded by the first mail sent, not by every server (~0.7 MB)

        try:
            await aiosmtplib.send(
                build_message(mail, sender=self.sender),
                hostname=self.server.hostname,
                port=self.server.port,
                username=self.server.username,
                password=self.server.password,
                use_tls=self.server.implicit_tls,
                start_tls=self.starttls,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as refused:
            if all(each.code >= PERMANENT_REPLY for each in refused.recipients):
                raise PermanentFailure(str(refused)) from refused
            raise


class ConsoleTransport:
    """Development without SMTP: each mail, with its link and token, goes to the console."""

    async def send(self, mail: Mail) -> None:
        log.info("mail to %s: %s\n%s", mail.to, mail.subject, mail.text)
        print(f"----- mail to {mail.to}: {mail.subject} -----\n{mail.text}\n-----", flush=True)


class UnconfiguredTransport:
    """Production without SMTP: mail is never printed (it holds secrets), so it fails."""

    async def send(self, mail: Mail) -> None:
        raise MailNotConfigured("IDENTITY_SMTP_URL is not set")


def transport_for(settings: Settings) -> Transport:
    if settings.smtp_url is not None:
        return SmtpTransport.from_settings(settings)
    if settings.is_production:
        return UnconfiguredTransport()
    return ConsoleTransport()
