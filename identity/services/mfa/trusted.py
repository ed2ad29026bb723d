"""Trusted devices: a device token whose logins skip the second factor until it expires.

The token is handed once to the device that asked for it (the answer's ``device_token``
and, in cookie mode, the HttpOnly cookie ``COOKIE_NAME``) and stored only as its digest.
A login presenting it (``recognizes``) skips the second factor while the trust is this
user's, not expired and not revoked. Changing or resetting the password and turning MFA
off revoke every trust of the user (``revoke_all``, in the caller's transaction).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.models.mfa import TrustedDevice
from identity.principal import RequestMeta
from identity.security.secrets import hash_token
from identity.services import audit

COOKIE_NAME = "identity_trusted_device"
MAX_TOKEN_LENGTH = 200
"""Tokens we hand out are 43 characters; anything far longer is not one of ours."""


def _usable_token(token: str | None) -> str | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return token


async def recognizes(
    session: AsyncSession, *, user_id: uuid.UUID, token: str | None, now: datetime
) -> bool:
    """Whether ``token`` is a live trust of this user's (touching its ``last_used_at``).

    One conditional UPDATE: a token of another user, an expired one (at ``expires_at`` it
    is expired) or a revoked one matches no row.
    """
    usable = _usable_token(token)
    if usable is None:
        return False
    matched = await session.execute(
        update(TrustedDevice)
        .where(
            col(TrustedDevice.token_hash) == hash_token(usable),
            col(TrustedDevice.user_id) == user_id,
            col(TrustedDevice.revoked_at).is_(None),
            col(TrustedDevice.expires_at) > now,
        )
        .values(last_used_at=now)
        .returning(col(TrustedDevice.id))
    )
    return matched.first() is not None


async def revoke_all(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    now: datetime,
    reason: str,
    meta: RequestMeta | None = None,
    actor_id: uuid.UUID | None = None,
) -> int:
    """Revoke every live trust of a user in the caller's transaction; audited when any was.

    ``reason`` says why (``password_changed``, ``password_reset``, ``mfa_disabled``, ...).
    """
    revoked = (
        (
            await session.execute(
                update(TrustedDevice)
                .where(
                    col(TrustedDevice.user_id) == user_id,
                    col(TrustedDevice.revoked_at).is_(None),
                    col(TrustedDevice.expires_at) > now,
                )
                .values(revoked_at=now)
                .returning(col(TrustedDevice.device_key))
            )
        )
        .scalars()
        .all()
    )
    if revoked:
        audit.record(
            session,
            event_type=EventType.MFA_DEVICE_TRUST_REVOKED,
            now=now,
            meta=meta or RequestMeta(),
            actor_id=actor_id,
            subject_id=user_id,
            details={"reason": reason, "revoked": len(revoked), "devices": sorted(revoked)},
        )
    return len(revoked)
