"""The outbox is transactional: mail leaves only when the change that caused it commits."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from identity.config import Settings
from identity.db import Database
from identity.mail.outbox import enqueue
from identity.models import MailStatus, OutboxMail
from tests.mail.conftest import FakeClock, drain, idle, make_worker, outbox_rows, queue
from tests.support.smtp import SmtpServer


class BusinessFailure(Exception):
    pass


async def test_a_rolled_back_transaction_sends_nothing(
    database: Database, clock: FakeClock, smtp: SmtpServer, mail_settings: Settings
) -> None:
    # Given a change that queues a mail and then fails
    async def change() -> None:
        async with database.unit_of_work() as session:
            enqueue(
                session,
                now=clock.now(),
                to="ann@example.com",
                template="password_reset",
                context={"link": "https://x/reset", "token": "t", "expires_minutes": "30"},
            )
            raise BusinessFailure

    with pytest.raises(BusinessFailure):
        await change()

    # When the worker runs
    processed = await drain(make_worker(database, clock, mail_settings))

    # Then there is nothing queued and nothing sent
    assert processed == 0
    assert await outbox_rows(database) == []
    assert smtp.messages == []


async def test_a_committed_mail_is_delivered_once_with_text_and_html(
    database: Database, clock: FakeClock, smtp: SmtpServer, mail_settings: Settings
) -> None:
    await queue(database, clock, token="tok-verify-42")
    worker = make_worker(database, clock, mail_settings)

    assert await drain(worker) == 1
    assert await drain(worker) == 0

    [message] = smtp.messages
    assert message["To"] == "ann@example.com"
    assert message["From"] == "identity <no-reply@localhost>"
    assert message["Subject"] == "Verify your email address"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert "tok-verify-42" in text.get_content()
    assert "https://app.example.com/verify?token=tok-verify-42" in text.get_content()
    assert "https://app.example.com/verify?token=tok-verify-42" in html.get_content()
    [row] = await outbox_rows(database)
    assert row.status == MailStatus.SENT
    assert row.sent_at == clock.now()
    assert row.attempts == 1
    assert row.claimed_until is None
    assert message["Message-ID"] == f"<{row.id}@localhost>"


async def test_the_queued_mail_is_rendered_at_enqueue_time(
    database: Database, clock: FakeClock
) -> None:
    await queue(database, clock, token="tok-1")

    [row] = await outbox_rows(database)
    assert row.template == "verify_email"
    assert row.subject == "Verify your email address"
    assert "tok-1" in database.outbox_sealer.open(row.text_body)  # type: ignore[union-attr]
    assert "tok-1" in database.outbox_sealer.open(row.html_body)  # type: ignore[union-attr]
    assert row.status == MailStatus.PENDING
    assert row.next_attempt_at == clock.now()


@pytest.mark.parametrize("to", ["", "ann", "ann@example.com\r\nBcc: eve@example.com"])
async def test_a_bad_recipient_is_refused_at_enqueue(database: Database, to: str) -> None:
    async with database.unit_of_work() as session:
        with pytest.raises(ValueError, match="recipient"):
            enqueue(
                session,
                now=FakeClock().now(),
                to=to,
                template="email_changed_notice",
                context={"new_email": "x@example.com"},
            )


async def test_a_commit_wakes_the_running_worker(
    database: Database, clock: FakeClock, smtp: SmtpServer, make_settings: Callable[..., Settings]
) -> None:
    # Given a worker that would otherwise look only once a minute
    settings = make_settings(smtp_url=smtp.url, mail_poll_seconds=60)
    worker = make_worker(database, clock, settings)
    worker.start()
    try:
        await idle(worker)
        # When a transaction that queued mail commits
        await queue(database, clock)
        # Then the mail arrives without waiting for the poll
        await smtp.wait_for(1)
    finally:
        await worker.stop()

    assert [row.status for row in await outbox_rows(database)] == [MailStatus.SENT]


async def test_notify_wakes_the_worker(
    database: Database, clock: FakeClock, smtp: SmtpServer, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(smtp_url=smtp.url, mail_poll_seconds=60)
    worker = make_worker(database, clock, settings)
    worker.start()
    try:
        await idle(worker)
        async with database.unit_of_work() as session:
            session.add(
                OutboxMail(
                    to_address="bob@example.com",
                    subject="Queued elsewhere",
                    text_body="text",
                    html_body="<p>html</p>",
                    template="magic_link",
                    next_attempt_at=clock.now(),
                    created_at=clock.now(),
                )
            )
        worker.notify()
        [message] = await smtp.wait_for(1)
    finally:
        await worker.stop()

    assert message["Subject"] == "Queued elsewhere"
