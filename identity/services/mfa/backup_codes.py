"""Backup codes: ten single-use recovery codes, shown once, stored as digests bound to their
user (``otp.backup_code_hash``) and found through the digest's unique index, so no code is
ever compared byte by byte.

A use is one conditional UPDATE (``used_at IS NULL``): of any number of parallel uses of one
code exactly one passes. Replacing them (``manage.regenerate_backup_codes``) needs recent
authentication; it lives beside the guard, not here.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.models import User
from identity.models.mfa import BackupCode
from identity.principal import Principal, RequestMeta
from identity.security import otp
from identity.services import audit
from identity.services.deps import Deps
from identity.services.mfa import notices

MAX_INPUT_LENGTH = 64
"""Longer input is not a backup code; it is refused before anything is hashed."""


def shown(code: str) -> str:
    """A code as shown to its user: two groups of five (``ABCDE-FGHJK``); typed with or
    without the hyphen, in either case."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


async def replace_codes(session: AsyncSession, *, user_id: uuid.UUID, now: datetime) -> list[str]:
    """Delete every backup code of the user and add ten new ones; returns them as shown."""
    await session.execute(delete(BackupCode).where(col(BackupCode.user_id) == user_id))
    codes = otp.new_backup_codes()
    session.add_all(
        BackupCode(user_id=user_id, code_hash=otp.backup_code_hash(user_id, code), created_at=now)
        for code in codes
    )
    await session.flush()
    return [shown(code) for code in codes]


async def count_remaining(session: AsyncSession, user_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(BackupCode)
        .where(col(BackupCode.user_id) == user_id, col(BackupCode.used_at).is_(None))
    )
    return int(count or 0)


async def remaining(deps: Deps, *, principal: Principal) -> int:
    """How many of the caller's backup codes are unused."""
    async with deps.database.read() as session:
        return await count_remaining(session, principal.user_id)


async def consume(
    session: AsyncSession,
    deps: Deps,
    *,
    user_id: uuid.UUID,
    code: str,
    meta: RequestMeta | None = None,
) -> bool:
    """Spend one of the user's unused backup codes, in the caller's transaction: True when
    ``code`` was one. The use is audited; when two or fewer remain afterwards, the user is
    mailed (both commit with the caller's transaction)."""
    normalized = otp.normalized_backup_code(code) if len(code) <= MAX_INPUT_LENGTH else None
    if normalized is None:
        return False
    now = deps.clock.now()
    spent = await session.execute(
        update(BackupCode)
        .where(
            col(BackupCode.code_hash) == otp.backup_code_hash(user_id, normalized),
            col(BackupCode.user_id) == user_id,
            col(BackupCode.used_at).is_(None),
        )
        .values(used_at=now)
        .returning(col(BackupCode.id))
        .execution_options(synchronize_session=False)
    )
    if spent.first() is None:
        return False
    left = await count_remaining(session, user_id)
    audit.record(
        session,
        event_type=EventType.MFA_BACKUP_CODE_USED,
        now=now,
        meta=meta or RequestMeta(),
        actor_id=user_id,
        subject_id=user_id,
        details={"remaining": left},
    )
    if left <= notices.LOW_BACKUP_CODES:
        user = await session.get(User, user_id)
        if user is not None:
            notices.backup_codes_low(session, user=user, now=now, remaining=left)
    return True
