"""Queued mail holds live one-time tokens: at rest they are sealed; only the worker opens them."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text

from identity.config import Settings
from identity.db import Database
from identity.models import MailStatus, OutboxMail
from identity.runtime import open_database
from identity.security.sealing import SEALED_PREFIX
from tests.mail.conftest import (
    FakeClock,
    attempt_rows,
    drain,
    make_worker,
    outbox_rows,
    queue,
)
from tests.support.smtp import SmtpServer

TOKEN = "tok-live-reset-secret-8f3a9c"


async def _raw_bodies(database: Database) -> list[tuple[str, str]]:
    """What someone reading the table (a backup, a replica, a SQL injection) would see."""
    async with database.read() as session:
        found = await session.execute(text("SELECT text_body, html_body FROM mail_outbox"))
        return [(row[0], row[1]) for row in found.all()]


async def test_the_stored_row_does_not_hold_the_token_and_the_delivered_mail_does(
    database: Database, clock: FakeClock, smtp: SmtpServer, mail_settings: Settings
) -> None:
    # Given a mail carrying a one-time token, queued and not yet sent
    await queue(database, clock, token=TOKEN)

    # Then the row in the database holds neither the token nor any readable text
    [(text_body, html_body)] = await _raw_bodies(database)
    assert TOKEN not in text_body
    assert TOKEN not in html_body
    assert text_body.startswith(SEALED_PREFIX)
    assert html_body.startswith(SEALED_PREFIX)
    assert "Verify" not in text_body

    # When the worker sends it
    assert await drain(make_worker(database, clock, mail_settings)) == 1

    # Then the recipient gets the token, in both parts
    [message] = smtp.messages
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None
    assert html is not None
    assert TOKEN in plain.get_content()
    assert TOKEN in html.get_content()
    assert all(TOKEN not in body for pair in await _raw_bodies(database) for body in pair)


async def test_each_body_is_sealed_with_a_fresh_nonce(database: Database, clock: FakeClock) -> None:
    await queue(database, clock, token=TOKEN)
    await queue(database, clock, token=TOKEN)

    first, second = await _raw_bodies(database)

    assert first[0] != second[0]


async def test_a_row_queued_in_plain_text_before_sealing_is_still_sent(
    database: Database, clock: FakeClock, smtp: SmtpServer, mail_settings: Settings
) -> None:
    async with database.unit_of_work() as session:
        session.add(
            OutboxMail(
                to_address="old@example.com",
                subject="Queued before the upgrade",
                text_body=f"plain {TOKEN}",
                html_body=f"<p>plain {TOKEN}</p>",
                template="magic_link",
                next_attempt_at=clock.now(),
                created_at=clock.now(),
            )
        )

    assert await drain(make_worker(database, clock, mail_settings)) == 1

    [message] = smtp.messages
    assert f"plain {TOKEN}" in message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


async def test_a_body_sealed_under_another_secret_is_given_up_without_stopping_the_others(
    database: Database,
    clock: FakeClock,
    smtp: SmtpServer,
    mail_settings: Settings,
    make_settings: Callable[..., Settings],
) -> None:
    # Given a mail sealed by a process with another secret, and one sealed with ours
    foreign = open_database(
        make_settings(smtp_url=smtp.url, secret_key="another-secret-key-0123456789abcdef")
    )
    try:
        await queue(foreign, clock, to="foreign@example.com", token="tok-foreign")
    finally:
        await foreign.dispose()
    await queue(database, clock, to="ours@example.com", token=TOKEN)

    # When the worker runs
    await drain(make_worker(database, clock, mail_settings))

    # Then ours is sent; the foreign one is dead at once, never sent sealed or garbled
    assert [message["To"] for message in smtp.messages] == ["ours@example.com"]
    rows = {row.to_address: row for row in await outbox_rows(database)}
    assert rows["ours@example.com"].status == MailStatus.SENT
    assert rows["foreign@example.com"].status == MailStatus.DEAD
    assert rows["foreign@example.com"].attempts == 1
    errors = [attempt.error for attempt in await attempt_rows(database) if not attempt.ok]
    assert errors == ["SealBroken: the service secret cannot open this sealed value"]


async def test_an_altered_sealed_body_is_refused(
    database: Database, clock: FakeClock, smtp: SmtpServer, mail_settings: Settings
) -> None:
    await queue(database, clock, token=TOKEN)
    [(text_body, _)] = await _raw_bodies(database)
    flipped = text_body[:-3] + ("A" if text_body[-3] != "A" else "B") + text_body[-2:]
    async with database.unit_of_work() as session:
        await session.execute(text("UPDATE mail_outbox SET text_body = :body"), {"body": flipped})

    await drain(make_worker(database, clock, mail_settings))

    assert smtp.messages == []
    [row] = await outbox_rows(database)
    assert row.status == MailStatus.DEAD
