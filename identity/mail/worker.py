"""The delivery worker: claims due outbox rows, sends them, records each attempt.

A round is three short steps, so no transaction stays open while a mail server is talked to:

1. claim, in one write transaction: due rows become ``sending`` with a lease
   (``claimed_until``) and one more attempt. PostgreSQL claims with ``FOR UPDATE SKIP LOCKED``,
   so workers in other processes take other rows; SQLite's ``BEGIN IMMEDIATE`` (the
   unit of work) serializes claims instead.
2. send the batch concurrently, outside any transaction, each mail with a time limit well
   inside the lease.
3. record, in a new transaction: ``sent``; or back to ``pending`` with exponential backoff;
   or ``dead`` after the last attempt. Each attempt leaves a ``mail_attempts`` row.

A worker that stops between 1 and 3 leaves rows in ``sending``; once their lease has passed,
any worker claims them again. Delivery is therefore at least once: a mail can be sent twice only
when a worker stops after the server accepted it and before the outcome was recorded, and both
copies carry the same Message-ID.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, or_, select, update
from sqlmodel import col

from identity.clock import Clock
from identity.config import Settings
from identity.db import Database
from identity.db_driver import DriverStatement
from identity.mail import outbox
from identity.mail.smtp import Mail, PermanentFailure, Transport, UnconfiguredTransport
from identity.models import MailAttempt, MailStatus, OutboxMail
from identity.models.outbox import clip_error

log = logging.getLogger("identity.mail")

BATCH_SIZE = 10
RETRY_CAP_SECONDS = 3600.0
LEASE_EXPIRED = "the worker sending it stopped before recording the outcome"


@dataclass(frozen=True, slots=True)
class _Claim:
    mail: Mail
    attempt: int
    lease: datetime


@dataclass(frozen=True, slots=True)
class _Outcome:
    error: str | None = None
    permanent: bool = False


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


# Mail bodies carry one-time tokens, sealed at rest; once a mail is done with (sent or
# given up) its body is dropped as well, so the database keeps those tokens only as hashes.
REMOVED_BODY = "(removed once the mail was done with: it carried a one-time secret)"
_FORGET_BODY = {"text_body": REMOVED_BODY, "html_body": REMOVED_BODY}


_DUE = or_(
    and_(
        col(OutboxMail.status) == MailStatus.PENDING,
        col(OutboxMail.next_attempt_at) <= bindparam("now"),
    ),
    and_(
        col(OutboxMail.status) == MailStatus.SENDING,
        col(OutboxMail.claimed_until) < bindparam("now"),
    ),
)
"""Mail due at ``now``: pending and its time come, or its sending lease run out."""
_ANY_DUE = select(col(OutboxMail.id)).where(_DUE).limit(1)
_ANY_DUE_ON_DRIVER = DriverStatement(_ANY_DUE)


class MailWorker:
    """Delivers the outbox; ``start()`` runs it in the background until ``stop()``."""

    def __init__(
        self,
        *,
        database: Database,
        transport: Transport,
        clock: Clock,
        settings: Settings,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.database = database
        self.transport = transport
        self.clock = clock
        self.batch_size = batch_size
        self.max_attempts = settings.mail_max_attempts
        self.retry_base_seconds = settings.mail_retry_base_seconds
        self.poll_seconds = settings.mail_poll_seconds
        # Connecting, TLS, login and the message each have the SMTP timeout; the lease leaves
        # room for the whole exchange and for recording the outcome.
        self.send_timeout = settings.smtp_timeout_seconds * 3
        self.lease = timedelta(seconds=self.send_timeout * 2 + 60)
        self.rounds = 0
        """Rounds the background task has finished (health checks, tests waiting for idle)."""
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._stopping = False
        self._unsubscribe: Callable[[], None] | None = None

    async def run_once(self) -> int:
        """Claim a batch of due mail, send it, record the outcomes; returns how many."""
        now = self.clock.now()
        if not await self._any_due(now):
            return 0
        claims = await self._claim(now)
        if not claims:
            return 0
        outcomes = await asyncio.gather(*(self._deliver(claim) for claim in claims))
        await self._record(claims, outcomes)
        return len(claims)

    def retry_delay(self, attempt: int) -> timedelta:
        """The wait after failed attempt number ``attempt`` (1, 2, ...): doubling, capped."""
        seconds = min(self.retry_base_seconds * 2 ** min(attempt - 1, 32), RETRY_CAP_SECONDS)
        return timedelta(seconds=seconds)

    async def _any_due(self, now: datetime) -> bool:
        """A read first, so an idle poll never takes SQLite's write lock. On PostgreSQL it
        runs on the driver: through a session it cost ~2-3 ms of CPU every poll, on the
        event loop every request of the moment waits for (``bench/gql_tail.py``)."""
        if self.database.driver is not None:
            async with self.database.driver.connection() as connection:
                return await _ANY_DUE_ON_DRIVER.fetchrow(connection, {"now": now}) is not None
        async with self.database.read() as session:
            found = await session.execute(_ANY_DUE, {"now": now})
            return found.first() is not None

    async def _claim(self, now: datetime) -> list[_Claim]:
        lease = now + self.lease
        claims: list[_Claim] = []
        async with self.database.unit_of_work() as session:
            rows = (
                await session.execute(
                    select(
                        col(OutboxMail.id),
                        col(OutboxMail.to_address),
                        col(OutboxMail.subject),
                        col(OutboxMail.text_body),
                        col(OutboxMail.html_body),
                        col(OutboxMail.created_at),
                        col(OutboxMail.status),
                        col(OutboxMail.attempts),
                    )
                    .where(_DUE)
                    .order_by(col(OutboxMail.next_attempt_at))
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True),
                    {"now": now},
                )
            ).all()
            given_up = []
            for row in rows:
                if row.status == MailStatus.SENDING:
                    log.warning(
                        "mail %s: lease expired in attempt %d; retrying", row.id, row.attempts
                    )
                    session.add(
                        MailAttempt(
                            outbox_id=row.id,
                            attempt=row.attempts,
                            at=now,
                            ok=False,
                            error=LEASE_EXPIRED,
                        )
                    )
                    if row.attempts >= self.max_attempts:
                        given_up.append(row.id)
                        continue
                mail = Mail(
                    id=row.id,
                    to=row.to_address,
                    subject=row.subject,
                    text=row.text_body,
                    html=row.html_body,
                    created_at=row.created_at,
                )
                claims.append(_Claim(mail=mail, attempt=row.attempts + 1, lease=lease))
            if given_up:
                await session.execute(
                    update(OutboxMail)
                    .where(col(OutboxMail.id).in_(given_up))
                    .values(
                        status=MailStatus.DEAD,
                        claimed_until=None,
                        last_error=LEASE_EXPIRED,
                        **_FORGET_BODY,
                    )
                )
            if claims:
                await session.execute(
                    update(OutboxMail)
                    .where(col(OutboxMail.id).in_([claim.mail.id for claim in claims]))
                    .values(
                        status=MailStatus.SENDING,
                        claimed_until=lease,
                        attempts=col(OutboxMail.attempts) + 1,
                    )
                )
        return claims

    def _opened(self, mail: Mail) -> Mail:
        """The mail with its bodies unsealed, only now that it is about to be sent."""
        sealer = self.database.outbox_sealer
        if sealer is None:
            raise RuntimeError("this worker's Database was made without an outbox sealer")
        return dataclasses.replace(mail, text=sealer.open(mail.text), html=sealer.open(mail.html))

    async def _deliver(self, claim: _Claim) -> _Outcome:
        """Send one mail; whatever the transport raises becomes the attempt's error."""
        try:
            mail = self._opened(claim.mail)
        except Exception as broken:
            # Sealed under another secret, or altered: no retry will ever open it.
            log.error("mail %s cannot be unsealed: %s", claim.mail.id, broken)
            return _Outcome(error=_describe(broken), permanent=True)
        try:
            async with asyncio.timeout(self.send_timeout):
                await self.transport.send(mail)
        except PermanentFailure as refused:
            log.warning("mail %s refused for good: %s", claim.mail.id, refused)
            return _Outcome(error=_describe(refused), permanent=True)
        except Exception as error:
            log.warning("mail %s: attempt %d failed: %s", claim.mail.id, claim.attempt, error)
            return _Outcome(error=_describe(error))
        log.info("mail %s sent (attempt %d)", claim.mail.id, claim.attempt)
        return _Outcome()

    async def _record(self, claims: list[_Claim], outcomes: list[_Outcome]) -> None:
        now = self.clock.now()
        async with self.database.unit_of_work() as session:
            for claim, outcome in zip(claims, outcomes, strict=True):
                error = None if outcome.error is None else clip_error(outcome.error)
                if error is None:
                    values: dict[str, object] = {
                        "status": MailStatus.SENT,
                        "sent_at": now,
                        **_FORGET_BODY,
                    }
                elif outcome.permanent or claim.attempt >= self.max_attempts:
                    values = {"status": MailStatus.DEAD, **_FORGET_BODY}
                else:
                    values = {
                        "status": MailStatus.PENDING,
                        "next_attempt_at": now + self.retry_delay(claim.attempt),
                    }
                still_ours = await session.execute(
                    update(OutboxMail)
                    .where(
                        col(OutboxMail.id) == claim.mail.id,
                        col(OutboxMail.status) == MailStatus.SENDING,
                        col(OutboxMail.claimed_until) == claim.lease,
                    )
                    .values(claimed_until=None, last_error=error, **values)
                    .returning(col(OutboxMail.id))
                )
                if still_ours.first() is None:
                    log.warning(
                        "mail %s: lease lost before the outcome was recorded", claim.mail.id
                    )
                    continue
                session.add(
                    MailAttempt(
                        outbox_id=claim.mail.id,
                        attempt=claim.attempt,
                        at=now,
                        ok=error is None,
                        error=error,
                    )
                )
                if values["status"] == MailStatus.DEAD:
                    log.error("mail %s given up after %d attempts", claim.mail.id, claim.attempt)

    def start(self) -> None:
        """Deliver in the background: every ``mail_poll_seconds``, and at once when woken."""
        if self._task is not None:
            return
        if isinstance(self.transport, UnconfiguredTransport):
            log.warning("IDENTITY_SMTP_URL is not set: queued mail will fail and be given up")
        loop = asyncio.get_running_loop()
        self._wake = wake = asyncio.Event()
        self._stopping = False

        def wake_from_any_thread() -> None:
            if not loop.is_closed():
                loop.call_soon_threadsafe(self.notify)

        self._unsubscribe = outbox.on_commit(wake_from_any_thread)
        self._task = loop.create_task(self._run(wake), name="identity-mail-worker")

    @property
    def running(self) -> bool:
        """Whether the background task is delivering (for the admin services report)."""
        return self._task is not None and not self._task.done()

    def notify(self) -> None:
        """Look for due mail now rather than at the next poll."""
        if self._wake is not None:
            self._wake.set()

    async def stop(self) -> None:
        """Let the current round finish (within the send timeout), then end the task."""
        task, self._task = self._task, None
        if task is None:
            return
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._stopping = True
        self.notify()
        done, _ = await asyncio.wait({task}, timeout=self.send_timeout + 5)
        if not done:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _run(self, wake: asyncio.Event) -> None:
        while not self._stopping:
            wake.clear()
            try:
                processed = await self.run_once()
            except Exception:
                log.exception("mail delivery round failed")
                processed = 0
            self.rounds += 1
            if self._stopping or processed >= self.batch_size:
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await wake.wait()
