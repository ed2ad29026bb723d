"""The app runs the delivery worker for its lifespan: queued mail goes out once it starts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from identity.app import create_app
from identity.clock import SystemClock
from identity.config import Settings
from identity.db import Database
from identity.mail.outbox import enqueue
from identity.models import MailStatus
from identity.runtime import open_database
from tests.conftest import open_client
from tests.mail.conftest import outbox_rows
from tests.support.smtp import SmtpServer


async def _queue_magic_link(settings: Settings, token: str) -> None:
    """Queue a mail through a database of its own, as another process would."""
    database = open_database(settings)
    try:
        async with database.unit_of_work() as session:
            enqueue(
                session,
                now=SystemClock().now(),
                to="ann@example.com",
                template="magic_link",
                context={
                    "link": f"{settings.links_base_url}/magic?token={token}",
                    "token": token,
                    "expires_minutes": "15",
                },
            )
    finally:
        await database.dispose()


async def _wait_until_sent(settings: Settings) -> None:
    database = Database(settings)
    try:
        async with asyncio.timeout(10):
            while {row.status for row in await outbox_rows(database)} != {MailStatus.SENT}:  # noqa: ASYNC110 (the row is in the database)
                await asyncio.sleep(0.02)
    finally:
        await database.dispose()


async def test_mail_queued_while_the_app_was_down_is_sent_when_it_starts(
    make_settings: Callable[..., Settings], smtp: SmtpServer
) -> None:
    # Given a mail queued while no app (and so no worker) was running
    settings = make_settings(smtp_url=smtp.url, frontend_url="https://app.example.com/")
    await _queue_magic_link(settings, "tok-restart")
    assert smtp.messages == []

    # When the app starts
    async for client in open_client(create_app(settings)):
        [message] = await smtp.wait_for(1)
        assert (await client.get("/health")).status_code == 200

    # Then the mail went out once, with its link to the web app
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    assert "https://app.example.com/magic?token=tok-restart" in body.get_content()
    await _wait_until_sent(settings)
    assert len(smtp.messages) == 1


async def test_without_smtp_the_app_prints_mail_outside_production(
    make_settings: Callable[..., Settings], capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(public_url="http://127.0.0.1:8000")

    async for _client in open_client(create_app(settings)):
        await _queue_magic_link(settings, "tok-console")
        await _wait_until_sent(settings)

    printed = capsys.readouterr().out
    assert "mail to ann@example.com: Your sign-in link" in printed
    assert "http://127.0.0.1:8000/magic?token=tok-console" in printed
