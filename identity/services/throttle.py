"""Counting failed password checks per key, atomic so parallel guesses cannot get past it.

An attempt is counted *before* its password is checked, in its own committed transaction:
of 50 parallel wrong guesses only ``threshold`` get a password check, the rest find the
key locked. Keys are built by ``login_key`` and ``password_change_key``.

Mail is counted apart, per key in fixed windows (``reserve_mail`` and ``reserve_request``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, literal, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.models import LoginThrottle, MailQuota
from identity.security.secrets import hash_token
from identity.services.text_rules import identifier_key

FAILURE_WINDOW = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Attempt:
    key: str
    number: int
    locked_until: datetime | None

    def locked_at(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


def login_key(identifier: str, account_id: uuid.UUID | None) -> str:
    """One counter per account, whichever of its identifiers is typed; else per identifier.

    Counting an existing account once keeps email and username from each getting their
    own allowance. Keys are stored hashed, so unknown addresses typed at login are not kept.
    """
    if account_id is not None:
        return hash_token(f"login:account:{account_id}")
    return hash_token(f"login:identifier:{identifier_key(identifier)}")


def password_change_key(user_id: uuid.UUID) -> str:
    """Guesses of the current password by a holder of an access token are counted apart
    from logins, so they cannot be used to lock the owner out of logging in."""
    return hash_token(f"password-change:{user_id}")


def mail_key(purpose: str, address: str) -> str:
    """Mails of one purpose to one address, whoever asks for them."""
    return hash_token(f"mail:{purpose}:{identifier_key(address)}")


def counted_failure(now: Any, stale_before: Any) -> dict[str, Any]:
    """What one more attempt does to an existing counter (values or bound parameters): a run
    of failures starts again at 1 when its lock has expired or its last failure is older
    than ``stale_before``, else it counts on; the lock is lifted once expired."""
    table = LoginThrottle.__table__  # type: ignore[attr-defined]
    expired = table.c.locked_until <= now
    stale = table.c.last_failure_at <= stale_before
    return {
        "failures": case((expired, literal(1)), (stale, literal(1)), else_=table.c.failures + 1),
        "locked_until": case((expired, None), else_=table.c.locked_until),
        "last_failure_at": now,
    }


async def reserve_attempt(session: AsyncSession, *, key: str, now: datetime) -> Attempt:
    """Count one attempt and return its number in the current run of failures."""
    table = LoginThrottle.__table__  # type: ignore[attr-defined]
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .values(identifier_hash=key, failures=1, last_failure_at=now, locked_until=None)
        .on_conflict_do_update(
            index_elements=["identifier_hash"],
            set_=counted_failure(now, now - FAILURE_WINDOW),
        )
        .returning(table.c.failures, table.c.locked_until)
    )
    number, locked_until = (await session.execute(statement)).one()
    if locked_until is not None and locked_until.tzinfo is None:
        locked_until = locked_until.replace(tzinfo=now.tzinfo)
    return Attempt(key, number, locked_until)


async def lock(session: AsyncSession, *, attempt: Attempt, until: datetime) -> None:
    await session.execute(
        update(LoginThrottle)
        .where(col(LoginThrottle.identifier_hash) == attempt.key)
        .values(locked_until=until)
    )


async def clear(session: AsyncSession, *, attempt: Attempt) -> None:
    await session.execute(
        delete(LoginThrottle).where(col(LoginThrottle.identifier_hash) == attempt.key)
    )


async def release(session: AsyncSession, *, attempt: Attempt) -> None:
    """Uncount ``attempt`` (its password was right) but keep the failures before it: a
    login whose second step is still due must not wipe the wrong second factors counted."""
    await session.execute(
        update(LoginThrottle)
        .where(col(LoginThrottle.identifier_hash) == attempt.key, col(LoginThrottle.failures) > 0)
        .values(failures=col(LoginThrottle.failures) - 1)
    )


async def forget(session: AsyncSession, *, keys: list[str]) -> None:
    """Drop counters outright, for example once a password reset proved the owner."""
    await session.execute(delete(LoginThrottle).where(col(LoginThrottle.identifier_hash).in_(keys)))


MAIL_WINDOW = timedelta(hours=1)
MAILS_PER_WINDOW = 5
RESEND_INTERVAL = timedelta(minutes=15)
"""Once a window's mails are spent, one more may go every ``RESEND_INTERVAL``: whoever keeps
asking cannot silence the address, and cannot flood it either."""


def request_key(kind: str, requester: str) -> str:
    """Requests of one kind by one requester (an account id), whatever they ask for."""
    return hash_token(f"request:{kind}:{requester}")


async def reserve_mail(
    session: AsyncSession,
    *,
    key: str,
    now: datetime,
    limit: int = MAILS_PER_WINDOW,
    resend_interval: timedelta = RESEND_INTERVAL,
) -> bool:
    """Whether one more mail may go out under ``key``; if so, it is counted.

    The window is anchored at its first mail and lasts ``MAIL_WINDOW`` whatever happens in
    it. Within it ``limit`` mails go; after those, one every ``resend_interval``. One atomic
    upsert decides, so parallel requests cannot get past the count.
    """
    table = MailQuota.__table__  # type: ignore[attr-defined]
    over = col(MailQuota.window_started_at) <= now - MAIL_WINDOW
    room = col(MailQuota.count) < limit
    due = col(MailQuota.last_sent_at) <= now - resend_interval
    sends = or_(over, room, due)
    statement = (
        _insert(session)(table)
        .values(key_hash=key, window_started_at=now, count=1, last_sent_at=now)
        .on_conflict_do_update(
            index_elements=["key_hash"],
            set_={
                "window_started_at": case((over, now), else_=table.c.window_started_at),
                "count": case((over, literal(1)), (room, table.c.count + 1), else_=table.c.count),
                "last_sent_at": case((sends, now), else_=table.c.last_sent_at),
            },
        )
        .returning(table.c.last_sent_at)
    )
    last_sent_at = (await session.execute(statement)).scalar_one()
    return _same_instant(last_sent_at, now)


async def reserve_request(session: AsyncSession, *, key: str, now: datetime, limit: int) -> bool:
    """Count one request under ``key``; whether it is within ``limit`` for the fixed window."""
    table = MailQuota.__table__  # type: ignore[attr-defined]
    over = col(MailQuota.window_started_at) <= now - MAIL_WINDOW
    statement = (
        _insert(session)(table)
        .values(key_hash=key, window_started_at=now, count=1, last_sent_at=now)
        .on_conflict_do_update(
            index_elements=["key_hash"],
            set_={
                "window_started_at": case((over, now), else_=table.c.window_started_at),
                "count": case((over, literal(1)), else_=table.c.count + 1),
                "last_sent_at": now,
            },
        )
        .returning(table.c.count)
    )
    number: int = (await session.execute(statement)).scalar_one()
    return number <= limit


def _insert(session: AsyncSession) -> type[postgresql.Insert] | type[sqlite.Insert]:
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return postgresql.insert if dialect == "postgresql" else sqlite.insert  # type: ignore[return-value]


def _same_instant(stored: datetime, now: datetime) -> bool:
    if stored.tzinfo is None:
        stored = stored.replace(tzinfo=now.tzinfo)
    return stored == now
