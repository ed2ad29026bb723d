"""Fixtures of the mail tests: a real SMTP server, a clock that tests move, a database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from identity.config import Settings
from identity.db import Database
from identity.mail.outbox import enqueue
from identity.mail.smtp import SmtpTransport
from identity.mail.worker import MailWorker
from identity.models import MailAttempt, OutboxMail
from identity.runtime import open_database
from tests.support.smtp import SmtpServer

TOKEN = "tok-0123456789"
SECRET_KEY = "mail-tests-secret-key-0123456789abcdef"


class FakeClock:
    """Time that moves only when a test says so."""

    def __init__(self) -> None:
        self._now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
        self._monotonic = 1000.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._monotonic += seconds


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def mail_settings(make_settings: Callable[..., Settings], smtp: SmtpServer) -> Settings:
    return make_settings(smtp_url=smtp.url, smtp_timeout_seconds=5, secret_key=SECRET_KEY)


@pytest.fixture
async def database(mail_settings: Settings) -> AsyncIterator[Database]:
    opened = open_database(mail_settings)
    yield opened
    await opened.dispose()


def make_worker(
    database: Database, clock: FakeClock, settings: Settings, *, batch_size: int = 10
) -> MailWorker:
    return MailWorker(
        database=database,
        transport=SmtpTransport.from_settings(settings),
        clock=clock,
        settings=settings,
        batch_size=batch_size,
    )


@pytest.fixture
def worker(database: Database, clock: FakeClock, mail_settings: Settings) -> MailWorker:
    return make_worker(database, clock, mail_settings)


async def queue(
    database: Database,
    clock: FakeClock,
    *,
    to: str = "ann@example.com",
    token: str = TOKEN,
) -> None:
    """A verification mail queued by a committed business transaction."""
    async with database.unit_of_work() as session:
        enqueue(
            session,
            now=clock.now(),
            to=to,
            template="verify_email",
            context={
                "link": f"https://app.example.com/verify?token={token}",
                "token": token,
                "name": "Ann",
                "expires_minutes": "60",
            },
        )


async def outbox_rows(database: Database) -> list[OutboxMail]:
    async with database.read() as session:
        found = await session.execute(select(OutboxMail).order_by(OutboxMail.created_at))
        return list(found.scalars().all())


async def attempt_rows(database: Database) -> list[MailAttempt]:
    async with database.read() as session:
        found = await session.execute(
            select(MailAttempt).order_by(MailAttempt.outbox_id, MailAttempt.attempt)
        )
        return list(found.scalars().all())


async def idle(worker: MailWorker) -> None:
    """Wait until a started worker has finished its first round and is waiting."""
    async with asyncio.timeout(5):
        while worker.rounds == 0:  # noqa: ASYNC110 (the worker signals no event for this)
            await asyncio.sleep(0.01)


async def drain(worker: MailWorker) -> int:
    """Run rounds until nothing is due; the total processed."""
    total = 0
    while processed := await worker.run_once():
        total += processed
    return total
