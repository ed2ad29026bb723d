"""Transports: SMTP URLs, the message built, SMTP login and refusals, the development console."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

import pytest

from identity.config import Settings
from identity.mail.smtp import (
    ConsoleTransport,
    Mail,
    MailNotConfigured,
    PermanentFailure,
    SmtpServer,
    SmtpTransport,
    UnconfiguredTransport,
    build_message,
    parse_smtp_url,
    transport_for,
)
from tests.support.smtp import SmtpServer as SmtpCatcher

SENDER = "identity <no-reply@auth.example.com>"
MAIL = Mail(
    id=uuid.UUID("12345678-1234-5678-1234-567812345678"),
    to="ann@example.com",
    subject="Your sign-in link",
    text="Hello,\n\nhttps://app.example.com/magic?token=tok-1\n\nOr enter this code: tok-1\n",
    html='<p><a href="https://app.example.com/magic?token=tok-1">Sign in</a></p>',
    created_at=datetime(2030, 1, 1, 12, 0, tzinfo=UTC),
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.com", SmtpServer("mail.example.com", 25, None, None, False)),
        (
            "smtp://user%40x:p%3Ass@mail.example.com:587",
            SmtpServer("mail.example.com", 587, "user@x", "p:ss", False),
        ),
        ("smtps://mail.example.com", SmtpServer("mail.example.com", 465, None, None, True)),
        ("smtps://u:p@[::1]:2465", SmtpServer("::1", 2465, "u", "p", True)),
    ],
)
def test_smtp_urls(url: str, expected: SmtpServer) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "mail.example.com:25"])
def test_what_is_not_an_smtp_url(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP URL"):
        parse_smtp_url(url)


def test_settings_refuse_other_schemes_without_echoing_the_password() -> None:
    with pytest.raises(ValueError, match="smtp:// or smtps://") as raised:
        Settings(env="test", smtp_url="http://user:hunter2@mail.example.com")  # type: ignore[arg-type]

    assert "hunter2" not in str(raised.value)


def test_the_message_is_multipart_alternative_with_a_stable_message_id() -> None:
    message = build_message(MAIL, sender=SENDER)

    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert message["Message-ID"] == "<12345678-1234-5678-1234-567812345678@auth.example.com>"
    assert message["From"] == SENDER
    assert message["To"] == "ann@example.com"
    assert message["Date"] == "Tue, 01 Jan 2030 12:00:00 +0000"


async def test_smtp_login_with_the_credentials_of_the_url() -> None:
    server = SmtpCatcher(login=("mailer", "s3cret:/"))
    server.start()
    try:
        good = SmtpTransport(
            parse_smtp_url(f"smtp://mailer:s3cret%3A%2F@127.0.0.1:{server.port}"),
            sender=SENDER,
            starttls=None,
            timeout=5,
        )
        bad = SmtpTransport(
            parse_smtp_url(f"smtp://mailer:wrong@127.0.0.1:{server.port}"),
            sender=SENDER,
            starttls=None,
            timeout=5,
        )

        await good.send(MAIL)
        with pytest.raises(Exception, match="535"):
            await bad.send(MAIL)
    finally:
        server.stop()

    assert [message["Subject"] for message in server.messages] == ["Your sign-in link"]


async def test_a_refused_recipient_is_a_permanent_failure(smtp: SmtpCatcher) -> None:
    smtp.refused.add("ann@example.com")
    transport = SmtpTransport(parse_smtp_url(smtp.url), sender=SENDER, starttls=None, timeout=5)

    with pytest.raises(PermanentFailure, match="550"):
        await transport.send(MAIL)


async def test_starttls_required_but_not_offered_fails(smtp: SmtpCatcher) -> None:
    transport = SmtpTransport(parse_smtp_url(smtp.url), sender=SENDER, starttls=True, timeout=5)

    with pytest.raises(Exception, match=r"(?i)starttls"):
        await transport.send(MAIL)

    assert smtp.messages == []


async def test_the_console_shows_link_and_token_in_development(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    transport = transport_for(Settings(env="development"))
    assert isinstance(transport, ConsoleTransport)

    with caplog.at_level(logging.INFO, logger="identity.mail"):
        await transport.send(MAIL)

    printed = capsys.readouterr().out
    assert "mail to ann@example.com: Your sign-in link" in printed
    assert "https://app.example.com/magic?token=tok-1" in printed
    assert "tok-1" in caplog.text


async def test_production_without_smtp_never_prints_mail(
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = Settings(
        env="production",
        secret_key="k" * 32,
        database_url="postgresql+asyncpg://db/identity",
        public_url="https://auth.example.com",
    )
    transport = transport_for(settings)
    assert isinstance(transport, UnconfiguredTransport)

    with pytest.raises(MailNotConfigured):
        await transport.send(MAIL)

    assert "tok-1" not in capsys.readouterr().out


def test_a_configured_server_is_used(smtp: SmtpCatcher) -> None:
    transport = transport_for(Settings(env="production", smtp_url=smtp.url))  # type: ignore[arg-type]

    assert isinstance(transport, SmtpTransport)
    assert transport.server.port == smtp.port
