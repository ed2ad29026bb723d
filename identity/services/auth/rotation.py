"""Refresh-token rotation: a chain per session, reuse ends the session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import IdentityError, TokenExpired, TokenInvalid, TokenReused
from identity.models import AuthSession, RefreshToken, User
from identity.principal import RequestMeta
from identity.ratelimit import Budget
from identity.security.secrets import hash_token
from identity.services import audit, request_budgets, runtime_settings
from identity.services.accounts import get_user
from identity.services.auth.status import PasswordChangeRequired, ensure_active
from identity.services.auth.tenant_switch import check_session_tenant
from identity.services.deps import Deps
from identity.services.sessions import revoke_sessions
from identity.services.tokens import TokenPair, add_successor, pair, successor_of


@dataclass(frozen=True, slots=True)
class _Rotation:
    user: User
    auth_session: AuthSession
    refresh_token: str


async def refresh(deps: Deps, *, refresh_token: str, meta: RequestMeta) -> TokenPair:
    """Rotate a refresh token.

    Presented again within the reuse interval, a used token answers the same successor (two
    tabs refreshing at once both carry on); presented later, it is reuse and ends the session.
    Every refusal is audited.
    """
    await request_budgets.charge(deps, Budget.REFRESH, meta)
    if not refresh_token:
        raise TokenInvalid("Refresh token is required")
    interval = timedelta(
        seconds=(await runtime_settings.current(deps)).refresh_reuse_interval_seconds
    )
    try:
        async with deps.database.unit_of_work() as session:
            rotation = await _rotate(
                session, deps, raw=refresh_token, meta=meta, reuse_interval=interval
            )
    except IdentityError as refusal:
        await _refresh_refused(deps, raw=refresh_token, meta=meta, refusal=refusal)
        raise
    if rotation is None:
        raise TokenReused()
    return await pair(
        deps,
        user=rotation.user,
        auth_session=rotation.auth_session,
        refresh_token=rotation.refresh_token,
    )


async def _refresh_refused(
    deps: Deps, *, raw: str, meta: RequestMeta, refusal: IdentityError
) -> None:
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        found = (
            await session.execute(
                select(col(RefreshToken.session_id), col(AuthSession.user_id))
                .join(AuthSession, col(AuthSession.id) == col(RefreshToken.session_id))
                .where(col(RefreshToken.token_hash) == hash_token(raw))
            )
        ).one_or_none()
        audit.record(
            session,
            event_type=EventType.TOKEN_REFRESH_FAILED,
            now=now,
            meta=meta,
            subject_id=found.user_id if found else None,
            session_id=found.session_id if found else None,
            details={"reason": refusal.code, "known_token": found is not None},
        )


async def _rotate(
    session: AsyncSession,
    deps: Deps,
    *,
    raw: str,
    meta: RequestMeta,
    reuse_interval: timedelta,
) -> _Rotation | None:
    """The next token of the chain, or None when reuse was detected (and the session ended)."""
    now = deps.clock.now()
    token_hash = hash_token(raw)
    idle_cutoff = now - timedelta(days=deps.settings.session_idle_days)
    # Locks the session row first (PostgreSQL row lock; SQLite's write lock is already
    # held), so concurrent refreshes of one session take turns and see each other's work.
    session_id = (
        select(col(RefreshToken.session_id))
        .where(col(RefreshToken.token_hash) == token_hash)
        .scalar_subquery()
    )
    touched = await session.execute(
        update(AuthSession)
        .where(
            col(AuthSession.id) == session_id,
            col(AuthSession.revoked_at).is_(None),
            col(AuthSession.expires_at) > now,
            col(AuthSession.last_used_at) > idle_cutoff,
        )
        .values(last_used_at=now)
        .returning(col(AuthSession.id))
    )
    locked_id = touched.scalar_one_or_none()
    token = await session.scalar(
        select(RefreshToken).where(col(RefreshToken.token_hash) == token_hash)
    )
    if token is None:
        raise TokenInvalid("Invalid refresh token")
    if locked_id is None:
        expired = await session.get(AuthSession, token.session_id)
        if expired is not None and expired.revoked_at is None:
            raise TokenExpired("Session has expired; log in again")
        raise TokenInvalid("Session has been revoked")

    auth_session = await session.get(AuthSession, token.session_id)
    if auth_session is None:
        raise TokenInvalid("Session not found")
    if token.revoked_at is not None:
        # Retired by a re-authentication, not used: refused without ending the session.
        raise TokenInvalid("Refresh token has been revoked")
    successor = successor_of(deps, raw)
    used_at = token.used_at
    reissued = used_at is not None
    if used_at is not None:
        if now - used_at > reuse_interval:
            await _reuse_detected(session, deps, auth_session, token, meta)
            return None
        child = await session.scalar(
            select(RefreshToken).where(col(RefreshToken.token_hash) == hash_token(successor))
        )
        if child is None:  # used before successors were derived: nothing to answer again
            await _reuse_detected(session, deps, auth_session, token, meta)
            return None
        if child.revoked_at is not None:
            raise TokenInvalid("Refresh token has been revoked")
    user = await get_user(session, auth_session.user_id)
    # Not the failed-login lock: anyone who knows an address can set it off, and that must
    # not end its owner's sessions (access tokens are not refused during a lock either).
    ensure_active(user, now)
    if user.must_change_password:
        raise PasswordChangeRequired()
    await check_session_tenant(session, auth_session)
    if not reissued:
        token.used_at = now
        add_successor(session, deps, parent=token, raw_parent=raw)
    audit.record(
        session,
        event_type=EventType.TOKEN_REFRESHED,
        now=now,
        meta=meta,
        actor_id=user.id,
        subject_id=user.id,
        session_id=auth_session.id,
        details={"reissued": True} if reissued else None,
    )
    return _Rotation(user, auth_session, successor)


async def _reuse_detected(
    session: AsyncSession,
    deps: Deps,
    auth_session: AuthSession,
    token: RefreshToken,
    meta: RequestMeta,
) -> None:
    now = deps.clock.now()
    await revoke_sessions(session, ids=[auth_session.id], now=now, reason="refresh_token_reused")
    audit.record(
        session,
        event_type=EventType.TOKEN_REUSE_DETECTED,
        now=now,
        meta=meta,
        subject_id=auth_session.user_id,
        session_id=auth_session.id,
        details={"token_id": str(token.id)},
    )
