"""The delivery worker: retries with backoff, gives up, recovers crashed claims, shares work."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import pytest

from identity.config import Settings
from identity.db import Database
from identity.mail.smtp import Mail
from identity.mail.worker import LEASE_EXPIRED, MailWorker
from identity.models import MailStatus
from identity.runtime import open_database
from tests.mail.conftest import (
    FakeClock,
    attempt_rows,
    drain,
    idle,
    make_worker,
    outbox_rows,
    queue,
)
from tests.support.smtp import SmtpServer


async def test_an_outage_is_retried_with_backoff_and_delivered_once(
    database: Database, clock: FakeClock, smtp: SmtpServer, worker: MailWorker
) -> None:
    # Given a queued mail and an SMTP server that is down
    await queue(database, clock)
    smtp.stop()
    started = clock.now()

    # When the first two attempts fail
    assert await worker.run_once() == 1
    [row] = await outbox_rows(database)
    assert (row.status, row.attempts) == (MailStatus.PENDING, 1)
    assert row.next_attempt_at == started + worker.retry_delay(1)
    assert worker.retry_delay(1).total_seconds() == 30
    assert row.last_error is not None
    assert await worker.run_once() == 0, "not due before its backoff has passed"

    clock.advance(30)
    assert await worker.run_once() == 1
    [row] = await outbox_rows(database)
    assert row.attempts == 2
    assert row.next_attempt_at == clock.now() + worker.retry_delay(2)
    assert worker.retry_delay(2).total_seconds() == 60

    # Then, once the server is back and the backoff has passed, it is delivered exactly once
    smtp.start()
    clock.advance(59)
    assert await worker.run_once() == 0
    clock.advance(1)
    assert await drain(worker) == 1
    clock.advance(3600)
    assert await drain(worker) == 0

    assert len(smtp.messages) == 1
    [row] = await outbox_rows(database)
    assert (row.status, row.attempts, row.last_error) == (MailStatus.SENT, 3, None)
    attempts = await attempt_rows(database)
    assert [(a.attempt, a.ok) for a in attempts] == [(1, False), (2, False), (3, True)]
    assert attempts[0].error is not None
    assert attempts[2].error is None


def test_the_backoff_doubles_up_to_an_hour(worker: MailWorker) -> None:
    delays = [worker.retry_delay(n).total_seconds() for n in (*range(1, 10), 5000)]

    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]


async def test_a_mail_is_given_up_after_the_last_attempt(
    database: Database,
    clock: FakeClock,
    smtp: SmtpServer,
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(smtp_url=smtp.url, mail_max_attempts=3)
    worker = make_worker(database, clock, settings)
    await queue(database, clock)
    smtp.stop()

    for _ in range(3):
        assert await worker.run_once() == 1
        clock.advance(3600)

    [row] = await outbox_rows(database)
    assert (row.status, row.attempts) == (MailStatus.DEAD, 3)
    smtp.start()
    clock.advance(24 * 3600)
    assert await drain(worker) == 0
    assert smtp.messages == []
    assert [a.ok for a in await attempt_rows(database)] == [False, False, False]


async def test_a_refused_recipient_is_given_up_at_once(
    database: Database, clock: FakeClock, smtp: SmtpServer, worker: MailWorker
) -> None:
    smtp.refused.add("nobody@example.com")
    await queue(database, clock, to="nobody@example.com")

    assert await worker.run_once() == 1

    [row] = await outbox_rows(database)
    assert (row.status, row.attempts) == (MailStatus.DEAD, 1)
    assert row.last_error is not None
    assert "550" in row.last_error


class HangingTransport:
    """A transport stuck until released, then timing out; or 'killed' (cancelled) mid-send."""

    def __init__(self, *, fails: bool = True) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.fails = fails

    async def send(self, mail: Mail) -> None:
        self.entered.set()
        await self.release.wait()
        if self.fails:
            raise TimeoutError


async def test_a_crashed_worker_s_claim_is_taken_over_after_its_lease(
    database: Database,
    clock: FakeClock,
    smtp: SmtpServer,
    mail_settings: Settings,
    worker: MailWorker,
) -> None:
    # Given a worker that claimed a mail and died while sending it
    await queue(database, clock)
    doomed = MailWorker(
        database=database, transport=HangingTransport(), clock=clock, settings=mail_settings
    )
    assert isinstance(doomed.transport, HangingTransport)
    round_ = asyncio.create_task(doomed.run_once())
    await asyncio.wait_for(doomed.transport.entered.wait(), 5)
    round_.cancel()
    with pytest.raises(asyncio.CancelledError):
        await round_
    [row] = await outbox_rows(database)
    assert (row.status, row.attempts) == (MailStatus.SENDING, 1)
    assert row.claimed_until == clock.now() + doomed.lease

    # When another worker looks before and after the lease has passed
    assert await worker.run_once() == 0
    clock.advance(doomed.lease.total_seconds() + 1)
    assert await worker.run_once() == 1

    # Then the mail is delivered, and the lost attempt is on record
    assert len(smtp.messages) == 1
    [row] = await outbox_rows(database)
    assert (row.status, row.attempts, row.claimed_until) == (MailStatus.SENT, 2, None)
    attempts = await attempt_rows(database)
    assert [(a.attempt, a.ok, a.error) for a in attempts] == [
        (1, False, LEASE_EXPIRED),
        (2, True, None),
    ]


async def test_a_crashed_claim_on_the_last_attempt_is_given_up(
    database: Database,
    clock: FakeClock,
    smtp: SmtpServer,
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(smtp_url=smtp.url, mail_max_attempts=1)
    await queue(database, clock)
    hanging = HangingTransport()
    doomed = MailWorker(database=database, transport=hanging, clock=clock, settings=settings)
    round_ = asyncio.create_task(doomed.run_once())
    await asyncio.wait_for(hanging.entered.wait(), 5)
    round_.cancel()
    with pytest.raises(asyncio.CancelledError):
        await round_

    clock.advance(doomed.lease.total_seconds() + 1)
    assert await make_worker(database, clock, settings).run_once() == 0

    [row] = await outbox_rows(database)
    assert (row.status, row.last_error) == (MailStatus.DEAD, LEASE_EXPIRED)
    assert smtp.messages == []


async def test_a_late_outcome_is_not_recorded_over_another_worker_s_claim(
    database: Database, clock: FakeClock, mail_settings: Settings
) -> None:
    # Given a worker so slow that its lease passed and another worker claimed the mail
    await queue(database, clock)
    slow_transport, other_transport = HangingTransport(), HangingTransport(fails=False)
    slow = MailWorker(
        database=database, transport=slow_transport, clock=clock, settings=mail_settings
    )
    other = MailWorker(
        database=database, transport=other_transport, clock=clock, settings=mail_settings
    )
    slow_round = asyncio.create_task(slow.run_once())
    await asyncio.wait_for(slow_transport.entered.wait(), 5)
    clock.advance(slow.lease.total_seconds() + 1)
    other_round = asyncio.create_task(other.run_once())
    await asyncio.wait_for(other_transport.entered.wait(), 5)

    # When the slow worker's send fails and it records that
    slow_transport.release.set()
    assert await slow_round == 1

    # Then the other worker's claim is untouched
    [row] = await outbox_rows(database)
    assert (row.status, row.attempts) == (MailStatus.SENDING, 2)
    assert row.claimed_until == clock.now() + other.lease

    # And when the other worker delivers, only its outcome is on record
    other_transport.release.set()
    assert await other_round == 1
    [row] = await outbox_rows(database)
    assert (row.status, row.attempts) == (MailStatus.SENT, 2)
    attempts = await attempt_rows(database)
    assert [(a.attempt, a.ok) for a in attempts] == [(1, False), (2, True)]
    assert attempts[0].error == LEASE_EXPIRED


class FlakyTransport:
    """Raises something unexpected first, then works."""

    def __init__(self) -> None:
        self.calls = 0

    async def send(self, mail: Mail) -> None:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("the transport broke")


async def test_a_transport_error_never_stops_the_running_worker(
    database: Database, clock: FakeClock, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(mail_poll_seconds=60, mail_retry_base_seconds=0.001)
    transport = FlakyTransport()
    worker = MailWorker(database=database, transport=transport, clock=clock, settings=settings)
    worker.start()
    try:
        await idle(worker)
        await queue(database, clock)
        # The failure must be recorded (its retry time read from the clock) before the
        # clock moves past that retry time.
        async with asyncio.timeout(5):
            while not await attempt_rows(database):  # noqa: ASYNC110 (no event to wait on)
                await asyncio.sleep(0.01)
        clock.advance(1)
        worker.notify()
        async with asyncio.timeout(5):
            while transport.calls < 2:  # noqa: ASYNC110 (a fake transport, no event to wait on)
                await asyncio.sleep(0.01)
    finally:
        await worker.stop()

    [row] = await outbox_rows(database)
    assert (row.status, row.attempts) == (MailStatus.SENT, 2)
    assert [a.error for a in await attempt_rows(database)] == [
        "RuntimeError: the transport broke",
        None,
    ]


async def test_two_workers_deliver_each_mail_exactly_once(
    database: Database, clock: FakeClock, smtp: SmtpServer, mail_settings: Settings
) -> None:
    # Given many queued mails and two workers, each with its own engine (as two processes)
    count = 40
    for number in range(count):
        await queue(database, clock, to=f"user{number}@example.com")
    other = open_database(mail_settings)
    try:
        first = make_worker(database, clock, mail_settings, batch_size=4)
        second = make_worker(other, clock, mail_settings, batch_size=4)

        # When they run at the same time
        done = await asyncio.gather(drain(first), drain(second))
    finally:
        await other.dispose()

    # Then every mail arrived once, and both did part of the work
    assert sum(done) == count
    assert all(done), done
    received = Counter(message["To"] for message in smtp.messages)
    assert received == Counter(f"user{number}@example.com" for number in range(count))
    rows = await outbox_rows(database)
    assert {row.status for row in rows} == {MailStatus.SENT}
    assert {row.attempts for row in rows} == {1}
