"""Login, refresh-token rotation, logout, access-token authentication, password change."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.clock import isoformat_z
from identity.errors import (
    AccountDisabled,
    AccountLocked,
    EmailNotVerified,
    InvalidCredentials,
    TokenExpired,
    TokenInvalid,
    TokenReused,
    TooManyAttempts,
    ValidationFailed,
)
from identity.models import AuthSession, RefreshToken, User, UserStatus
from identity.principal import Principal, RequestMeta
from identity.security.password_policy import check_password
from identity.security.secrets import hash_token
from identity.security.tokens import token_kid, verify_access_token
from identity.services import audit, one_time, runtime_settings, throttle
from identity.services.accounts import find_by_identifier, get_user
from identity.services.deps import Deps
from identity.services.sessions import revoke_sessions
from identity.services.tokens import (
    TokenPair,
    check_device_info,
    new_refresh_token,
    open_session,
    pair,
)


def _locked(until: Any) -> AccountLocked:
    return AccountLocked(
        "Account is temporarily locked after too many failed attempts",
        details={"locked_until": isoformat_z(until)},
    )


async def login(
    deps: Deps,
    *,
    identifier: str,
    password: str,
    meta: RequestMeta,
    device_info: dict[str, Any] | None = None,
) -> TokenPair:
    """Check a password and open a session; wrong and unknown accounts fail alike."""
    check_device_info(device_info)  # a body we would refuse later must not count as an attempt
    now = deps.clock.now()
    rules = await runtime_settings.current(deps)
    async with deps.database.read() as session:
        user = await find_by_identifier(session, identifier)
    key = throttle.login_key(identifier, user.id if user else None)
    async with deps.database.unit_of_work() as session:
        attempt = await throttle.reserve_attempt(session, key=key, now=now)
    if attempt.locked_at(now):
        raise _locked(attempt.locked_until)
    threshold = rules.lockout_threshold
    lock_until = now + timedelta(minutes=rules.lockout_minutes)
    if attempt.number > threshold:
        async with deps.database.unit_of_work() as session:
            await throttle.lock(session, attempt=attempt, until=lock_until)
        raise _locked(lock_until)

    check = await deps.hasher.verify(user.password_hash if user else None, password)
    if not check.valid or user is None:
        await _record_failure(
            deps, attempt=attempt, user=user, meta=meta, lock_until=lock_until, threshold=threshold
        )
        raise InvalidCredentials()

    if rules.email_verification_required and not user.email_verified:
        async with deps.database.unit_of_work() as session:
            await throttle.clear(session, attempt=attempt)  # the password was right
        raise EmailNotVerified()
    new_hash = await deps.hasher.hash(password) if check.needs_rehash else None
    async with deps.database.unit_of_work() as session:
        await throttle.clear(session, attempt=attempt)
        user = await get_user(session, user.id)
        _ensure_may_log_in(user, now)
        if new_hash is not None:
            user.password_hash = new_hash
        user.failed_login_attempts = 0
        auth_session, refresh = await begin_session(
            session, deps, user=user, meta=meta, device_info=device_info, method="password"
        )
    return await pair(deps, user=user, auth_session=auth_session, refresh_token=refresh)


async def begin_session(
    session: AsyncSession,
    deps: Deps,
    *,
    user: User,
    meta: RequestMeta,
    device_info: dict[str, Any] | None,
    method: str,
) -> tuple[AuthSession, str]:
    """Open a session for a user who just proved who they are; returns it and its refresh token."""
    now = deps.clock.now()
    user.last_login = now
    user.last_login_ip = meta.ip_address
    auth_session = open_session(
        session, deps, user=user, meta=meta, device_info=device_info, auth_method=method
    )
    await session.flush()
    refresh = new_refresh_token(session, deps, auth_session_id=auth_session.id, parent_id=None)
    audit.record(
        session,
        event_type="login.succeeded",
        now=now,
        meta=meta,
        actor_id=user.id,
        subject_id=user.id,
        session_id=auth_session.id,
        details={"method": method, "device": auth_session.device_info},
    )
    return auth_session, refresh


def _ensure_may_log_in(user: User, now: Any) -> None:
    if user.locked_until is not None and user.locked_until > now:
        raise _locked(user.locked_until)
    ensure_active(user, now)


def is_disabled(user: User, now: datetime | None) -> bool:
    """Deactivated, or locked by an administrator: until ``locked_until`` when it is set.

    Without ``now`` a timed lock counts as still in force.
    """
    if not user.is_active or user.status == UserStatus.INACTIVE:
        return True
    if user.status != UserStatus.LOCKED:
        return False
    return user.locked_until is None or now is None or user.locked_until > now


def ensure_active(user: User, now: datetime | None = None) -> None:
    """A disabled account ends its sessions; a failed-login lock only stops password guesses."""
    if is_disabled(user, now):
        raise AccountDisabled()


def _failure_lock(until: datetime, now: datetime) -> dict[str, Any]:
    """The failed-login lock, which never shortens or lifts an administrator's lock."""
    by_admin = col(User.status) == UserStatus.LOCKED
    return {
        "locked_until": case((by_admin, col(User.locked_until)), else_=until),
        "locked_at": case((by_admin, col(User.locked_at)), else_=now),
    }


async def _record_failure(
    deps: Deps,
    *,
    attempt: throttle.Attempt,
    user: User | None,
    meta: RequestMeta,
    lock_until: Any,
    threshold: int,
) -> None:
    now = deps.clock.now()
    locks = attempt.number >= threshold
    async with deps.database.unit_of_work() as session:
        if locks:
            await throttle.lock(session, attempt=attempt, until=lock_until)
        if user is not None:
            await session.execute(
                update(User)
                .where(col(User.id) == user.id)
                .values(
                    failed_login_attempts=col(User.failed_login_attempts) + 1,
                    **(_failure_lock(lock_until, now) if locks else {}),
                )
            )
        subject = user.id if user else None
        audit.record(
            session,
            event_type="login.failed",
            now=now,
            meta=meta,
            subject_id=subject,
            details={"attempt": attempt.number, "known_account": user is not None},
        )
        if locks:
            audit.record(
                session,
                event_type="account.locked",
                now=now,
                meta=meta,
                subject_id=subject,
                details={"locked_until": isoformat_z(lock_until), "reason": "failed_logins"},
            )


@dataclass(frozen=True, slots=True)
class _Rotation:
    user: User
    auth_session: AuthSession
    refresh_token: str


async def refresh(deps: Deps, *, refresh_token: str, meta: RequestMeta) -> TokenPair:
    """Rotate a refresh token; presenting one whose successor was used revokes the session."""
    if not refresh_token:
        raise TokenInvalid("Refresh token is required")
    async with deps.database.unit_of_work() as session:
        rotation = await _rotate(session, deps, token_hash=hash_token(refresh_token), meta=meta)
    if rotation is None:
        raise TokenReused()
    return await pair(
        deps,
        user=rotation.user,
        auth_session=rotation.auth_session,
        refresh_token=rotation.refresh_token,
    )


async def _rotate(
    session: AsyncSession, deps: Deps, *, token_hash: str, meta: RequestMeta
) -> _Rotation | None:
    """The next token of the chain, or None when reuse was detected (and the session ended)."""
    now = deps.clock.now()
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
        await _reuse_detected(session, deps, auth_session, token, meta)
        return None
    if token.used_at is None:
        token.used_at = now
    else:
        successor = await session.scalar(
            select(RefreshToken).where(
                col(RefreshToken.parent_id) == token.id, col(RefreshToken.revoked_at).is_(None)
            )
        )
        if successor is None or successor.used_at is not None:
            await _reuse_detected(session, deps, auth_session, token, meta)
            return None
        # The successor was never used (its answer was lost): re-issue, and retire the successor.
        successor.revoked_at = now
    user = await get_user(session, auth_session.user_id)
    # Not the failed-login lock: anyone who knows an address can set it off, and that must
    # not end its owner's sessions (access tokens are not refused during a lock either).
    ensure_active(user, now)
    raw = new_refresh_token(session, deps, auth_session_id=auth_session.id, parent_id=token.id)
    audit.record(
        session,
        event_type="token.refreshed",
        now=now,
        meta=meta,
        actor_id=user.id,
        subject_id=user.id,
        session_id=auth_session.id,
    )
    return _Rotation(user, auth_session, raw)


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
        event_type="token.reuse_detected",
        now=now,
        meta=meta,
        subject_id=auth_session.user_id,
        session_id=auth_session.id,
        details={"token_id": str(token.id)},
    )


# Built once: constructing a statement per request costs as much as running it.
_CALLER = (
    select(User, col(AuthSession.revoked_at), col(AuthSession.expires_at))
    .join(AuthSession, col(AuthSession.user_id) == col(User.id))
    .where(col(AuthSession.id) == bindparam("session_id"), col(User.id) == bindparam("user_id"))
)


async def authenticate(deps: Deps, *, access_token: str, meta: RequestMeta) -> Principal:
    """A principal from a bearer token: a valid signature and a session still active."""
    kid = token_kid(access_token)
    claims = verify_access_token(
        access_token,
        public_jwks=await deps.keys.public_keys(kid),
        issuer=deps.settings.issuer,
        audience=deps.settings.jwt_audience,
        now=deps.clock.now(),
    )
    try:
        session_id = uuid.UUID(claims["sid"])
        user_id = uuid.UUID(claims["sub"])
    except (KeyError, ValueError) as exc:
        raise TokenInvalid() from exc
    now = deps.clock.now()
    async with deps.database.read() as session:
        row = (
            await session.execute(_CALLER, {"session_id": session_id, "user_id": user_id})
        ).one_or_none()
    if row is None:
        raise TokenInvalid("Session not found")
    user, revoked_at, expires_at = row
    if revoked_at is not None:
        raise TokenInvalid("Session has been revoked")
    if expires_at <= now:
        raise TokenExpired("Session has expired")
    if is_disabled(user, now):
        raise TokenInvalid("Account is disabled")
    return Principal(
        user=user,
        user_id=user_id,
        session_id=session_id,
        email=user.email,
        role=user.role,
        token_id=str(claims.get("jti")),
        meta=meta,
    )


async def logout(
    deps: Deps,
    *,
    meta: RequestMeta,
    principal: Principal | None = None,
    refresh_token: str | None = None,
) -> None:
    """End a session, named by the caller's access token or by a refresh token."""
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        session_id = principal.session_id if principal else None
        if session_id is None and refresh_token:
            token = await session.scalar(
                select(RefreshToken).where(
                    col(RefreshToken.token_hash) == hash_token(refresh_token)
                )
            )
            session_id = token.session_id if token else None
        if session_id is None:
            raise TokenInvalid("Invalid refresh token")
        auth_session = await session.get(AuthSession, session_id)
        if auth_session is None:
            raise TokenInvalid("Session not found")
        if principal is not None and auth_session.user_id != principal.user_id:
            raise TokenInvalid("Refresh token belongs to another session")
        await revoke_sessions(session, ids=[session_id], now=now, reason="logout")
        audit.record(
            session,
            event_type="logout",
            now=now,
            meta=meta,
            actor_id=auth_session.user_id,
            subject_id=auth_session.user_id,
            session_id=session_id,
        )


async def check_current_password(deps: Deps, *, user: User, password: str) -> None:
    """Re-authentication before a sensitive change, with its own attempt counter."""
    now = deps.clock.now()
    rules = await runtime_settings.current(deps)
    async with deps.database.unit_of_work() as session:
        attempt = await throttle.reserve_attempt(
            session, key=throttle.password_change_key(user.id), now=now
        )
        locked_until = attempt.locked_until if attempt.locked_at(now) else None
        if locked_until is None and attempt.number > rules.lockout_threshold:
            locked_until = now + timedelta(minutes=rules.lockout_minutes)
            await throttle.lock(session, attempt=attempt, until=locked_until)
    if locked_until is not None:
        raise TooManyAttempts(
            "Too many wrong current passwords; try again later",
            details={"locked_until": isoformat_z(locked_until)},
        )
    check = await deps.hasher.verify(user.password_hash, password)
    if not check.valid:
        raise InvalidCredentials("Current password is incorrect", field="current_password")
    async with deps.database.unit_of_work() as session:
        await throttle.clear(session, attempt=attempt)


async def change_password(
    deps: Deps,
    *,
    principal: Principal,
    current_password: str,
    new_password: str,
    confirm_password: str | None = None,
) -> int:
    """Change the password and end every other session; returns how many were ended."""
    if confirm_password is not None and confirm_password != new_password:
        raise ValidationFailed("Passwords do not match", field="confirm_password")
    user = principal.user
    await check_current_password(deps, user=user, password=current_password)
    if new_password == current_password:
        raise ValidationFailed(
            "New password must differ from the current one", field="new_password"
        )
    check_password(
        new_password,
        email=user.email,
        username=user.username,
        min_length=(await runtime_settings.current(deps)).password_min_length,
        field="new_password",
    )
    password_hash = await deps.hasher.hash(new_password)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        user = await get_user(session, principal.user_id)
        user.password_hash = password_hash
        user.password_changed_at = now
        user.must_change_password = False
        user.updated_at = now
        ended = await revoke_sessions(
            session, user_id=user.id, now=now, reason="password_changed", keep=principal.session_id
        )
        # Links that log in without the password must not outlive the password they bypass.
        await one_time.revoke_for_user(
            session, user_id=user.id, purposes=one_time.LOGIN_LINKS, now=now, email=user.email
        )
        audit.record(
            session,
            event_type="password.changed",
            now=now,
            meta=principal.meta,
            actor_id=user.id,
            subject_id=user.id,
            session_id=principal.session_id,
            details={"sessions_revoked": ended},
        )
    return ended
