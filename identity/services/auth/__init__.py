"""Login, refresh-token rotation, logout, access-token authentication, password change."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import bindparam, case, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.clock import isoformat_z
from identity.errors import (
    AccountDisabled,
    AccountLocked,
    EmailNotVerified,
    IdentityError,
    InvalidCredentials,
    PermissionDenied,
    TokenExpired,
    TokenInvalid,
    TokenReused,
    TooManyAttempts,
    ValidationFailed,
)
from identity.models import AuthSession, RefreshToken, TokenPurpose, User, UserStatus
from identity.observability.metrics import INVALID_ACCESS_TOKENS
from identity.principal import HeldPermissions, Principal, RequestMeta
from identity.security.secrets import hash_token
from identity.security.tokens import token_kid, verify_access_token
from identity.services import audit, authorization, one_time, runtime_settings, throttle
from identity.services.accounts import find_by_identifier, get_user
from identity.services.deps import Deps
from identity.services.password_rules import check_new_password
from identity.services.sessions import revoke_sessions
from identity.services.tokens import (
    PASSWORD_CHANGE_SCOPE,
    PasswordChangeToken,
    TokenPair,
    add_successor,
    check_device_info,
    new_refresh_token,
    open_session,
    pair,
    password_change_token,
    replace_refresh_tokens,
    successor_of,
)


class AccountPending(AccountDisabled):
    """Created but not activated yet: no login, no refresh, no access."""

    code = "ACCOUNT_PENDING"
    default_message = "Account is not active yet"


class PasswordChangeRequired(PermissionDenied):
    """The caller must change the password before anything else."""

    code = "PASSWORD_CHANGE_REQUIRED"
    default_message = "Change your password first: this token may only change the password"


@dataclass(frozen=True, slots=True)
class PasswordChanged:
    """The other sessions ended, and the caller's session goes on with new tokens."""

    sessions_revoked: int
    tokens: TokenPair


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
) -> TokenPair | PasswordChangeToken:
    """Check a password and open a session; wrong and unknown accounts fail alike.

    An account that must change its password gets a token good for that alone.
    """
    check_device_info(device_info)  # a body we would refuse later must not count as an attempt
    now = deps.clock.now()
    rules = await runtime_settings.current(deps)
    async with deps.database.read() as session:
        user = await find_by_identifier(session, identifier)
    key = throttle.login_key(identifier, user.id if user else None)
    async with deps.database.unit_of_work() as session:
        attempt = await throttle.reserve_attempt(session, key=key, now=now)
    if attempt.locked_at(now):
        await _login_refused(deps, subject_id=user.id if user else None, meta=meta, reason="locked")
        raise _locked(attempt.locked_until)
    threshold = rules.lockout_threshold
    lock_until = now + timedelta(minutes=rules.lockout_minutes)
    if attempt.number > threshold:
        async with deps.database.unit_of_work() as session:
            await throttle.lock(session, attempt=attempt, until=lock_until)
            _audit_login_refused(
                session, now=now, subject_id=user.id if user else None, meta=meta, reason="locked"
            )
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
    user_id = user.id
    try:
        async with deps.database.unit_of_work() as session:
            auth_session, refresh, user = await _log_in(
                session,
                deps,
                user_id=user_id,
                new_hash=new_hash,
                attempt=attempt,
                meta=meta,
                device_info=device_info,
            )
    except (AccountLocked, AccountDisabled) as refusal:
        reason = "locked" if isinstance(refusal, AccountLocked) else refusal.code.lower()
        await _login_refused(deps, subject_id=user_id, meta=meta, reason=reason)
        raise
    if refresh is None:
        return await password_change_token(deps, user=user, auth_session=auth_session)
    return await pair(deps, user=user, auth_session=auth_session, refresh_token=refresh)


async def _log_in(
    session: AsyncSession,
    deps: Deps,
    *,
    user_id: uuid.UUID,
    new_hash: str | None,
    attempt: throttle.Attempt,
    meta: RequestMeta,
    device_info: dict[str, Any] | None,
) -> tuple[AuthSession, str | None, User]:
    """The session of a correct password; no refresh token while the password must change."""
    now = deps.clock.now()
    await throttle.clear(session, attempt=attempt)
    user = await get_user(session, user_id)
    _ensure_may_log_in(user, now)
    if new_hash is not None:
        user.password_hash = new_hash
    user.failed_login_attempts = 0
    if user.must_change_password:
        auth_session = await _open(
            session, deps, user=user, meta=meta, device_info=device_info, method="password"
        )
        return auth_session, None, user
    auth_session, refresh = await begin_session(
        session, deps, user=user, meta=meta, device_info=device_info, method="password"
    )
    return auth_session, refresh, user


def _audit_login_refused(
    session: AsyncSession,
    *,
    now: datetime,
    subject_id: uuid.UUID | None,
    meta: RequestMeta,
    reason: str,
) -> None:
    audit.record(
        session,
        event_type=EventType.LOGIN_REFUSED,
        now=now,
        meta=meta,
        subject_id=subject_id,
        details={"reason": reason, "known_account": subject_id is not None},
    )


async def _login_refused(
    deps: Deps, *, subject_id: uuid.UUID | None, meta: RequestMeta, reason: str
) -> None:
    """Audit a refused login in a transaction of its own (the refusal rolled its own back)."""
    async with deps.database.unit_of_work() as session:
        _audit_login_refused(
            session, now=deps.clock.now(), subject_id=subject_id, meta=meta, reason=reason
        )


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
    auth_session = await _open(
        session, deps, user=user, meta=meta, device_info=device_info, method=method
    )
    refresh = new_refresh_token(session, deps, auth_session_id=auth_session.id, parent_id=None)
    return auth_session, refresh


async def _open(
    session: AsyncSession,
    deps: Deps,
    *,
    user: User,
    meta: RequestMeta,
    device_info: dict[str, Any] | None,
    method: str,
) -> AuthSession:
    now = deps.clock.now()
    user.last_login = now
    user.last_login_ip = meta.ip_address
    auth_session = open_session(
        session, deps, user=user, meta=meta, device_info=device_info, auth_method=method
    )
    await session.flush()
    details: dict[str, Any] = {"method": method, "device": auth_session.device_info}
    if user.must_change_password:
        details["password_change_required"] = True
    audit.record(
        session,
        event_type=EventType.LOGIN_SUCCEEDED,
        now=now,
        meta=meta,
        actor_id=user.id,
        subject_id=user.id,
        session_id=auth_session.id,
        details=details,
    )
    return auth_session


def _ensure_may_log_in(user: User, now: Any) -> None:
    if user.locked_until is not None and user.locked_until > now:
        raise _locked(user.locked_until)
    ensure_active(user, now)


def is_disabled(user: User, now: datetime | None) -> bool:
    """Deactivated, not activated yet (pending), or locked by an administrator: until
    ``locked_until`` when it is set.

    Without ``now`` a timed lock counts as still in force.
    """
    if not user.is_active or user.status in (UserStatus.INACTIVE, UserStatus.PENDING):
        return True
    if user.status != UserStatus.LOCKED:
        return False
    return user.locked_until is None or now is None or user.locked_until > now


def ensure_active(user: User, now: datetime | None = None) -> None:
    """A disabled account ends its sessions; a failed-login lock only stops password guesses."""
    if user.status == UserStatus.PENDING:
        raise AccountPending()
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
            event_type=EventType.LOGIN_FAILED,
            now=now,
            meta=meta,
            subject_id=subject,
            details={"attempt": attempt.number, "known_account": user is not None},
        )
        if locks:
            audit.record(
                session,
                event_type=EventType.ACCOUNT_LOCKED,
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
    """Rotate a refresh token.

    Presented again within the reuse interval, a used token answers the same successor (two
    tabs refreshing at once both carry on); presented later, it is reuse and ends the session.
    Every refusal is audited.
    """
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


# Built once: constructing a statement per request costs as much as running it.
_CALLER = (
    select(User, col(AuthSession.revoked_at), col(AuthSession.expires_at))
    .join(AuthSession, col(AuthSession.user_id) == col(User.id))
    .where(col(AuthSession.id) == bindparam("session_id"), col(User.id) == bindparam("user_id"))
)


def _refused(reason: str, error: IdentityError) -> IdentityError:
    """Count an access token refused (not audited: anyone can send many)."""
    INVALID_ACCESS_TOKENS.labels(reason).inc()
    return error


async def authenticate(
    deps: Deps, *, access_token: str, meta: RequestMeta, for_password_change: bool = False
) -> Principal:
    """A principal from a bearer token: a valid signature and a session still active.

    While the account must change its password (or the token was issued for that alone), only
    a caller ``for_password_change`` accepts it; everyone else answers PASSWORD_CHANGE_REQUIRED.
    """
    kid = token_kid(access_token)
    try:
        claims = verify_access_token(
            access_token,
            public_jwks=await deps.keys.public_keys(kid),
            issuer=deps.settings.issuer,
            audience=deps.settings.jwt_audience,
            now=deps.clock.now(),
        )
    except TokenExpired as error:
        raise _refused("expired", error) from None
    except TokenInvalid as error:
        raise _refused("invalid", error) from None
    try:
        session_id = uuid.UUID(claims["sid"])
        user_id = uuid.UUID(claims["sub"])
    except (KeyError, ValueError) as exc:
        raise _refused("invalid", TokenInvalid()) from exc
    now = deps.clock.now()
    async with deps.database.read() as session:
        row = (
            await session.execute(_CALLER, {"session_id": session_id, "user_id": user_id})
        ).one_or_none()
    if row is None:
        raise _refused("session_ended", TokenInvalid("Session not found"))
    user, revoked_at, expires_at = row
    if revoked_at is not None:
        raise _refused("session_ended", TokenInvalid("Session has been revoked"))
    if expires_at <= now:
        raise _refused("session_ended", TokenExpired("Session has expired"))
    if is_disabled(user, now):
        raise _refused("account_disabled", TokenInvalid("Account is disabled"))
    restricted = claims.get("scope") == PASSWORD_CHANGE_SCOPE or user.must_change_password
    if restricted and not for_password_change:
        raise PasswordChangeRequired()
    return Principal(
        user=user,
        user_id=user_id,
        session_id=session_id,
        email=user.email,
        role=user.role,
        token_id=str(claims.get("jti")),
        meta=meta,
        password_change_only=restricted,
        held=HeldPermissions(partial(authorization.permissions_of, deps, user_id)),
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
            event_type=EventType.LOGOUT,
            now=now,
            meta=meta,
            actor_id=auth_session.user_id,
            subject_id=auth_session.user_id,
            session_id=session_id,
        )


async def check_current_password(
    deps: Deps,
    *,
    user: User,
    password: str,
    meta: RequestMeta | None = None,
    session_id: uuid.UUID | None = None,
) -> None:
    """Re-authentication before a sensitive change, with its own attempt counter.

    A wrong password (or one refused for too many attempts) is audited.
    """
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
            _audit_reauthentication_failed(
                session,
                now=now,
                user=user,
                meta=meta,
                session_id=session_id,
                reason="too_many_attempts",
                attempt=attempt.number,
            )
    if locked_until is not None:
        raise TooManyAttempts(
            "Too many wrong current passwords; try again later",
            details={"locked_until": isoformat_z(locked_until)},
        )
    check = await deps.hasher.verify(user.password_hash, password)
    if not check.valid:
        async with deps.database.unit_of_work() as session:
            _audit_reauthentication_failed(
                session,
                now=now,
                user=user,
                meta=meta,
                session_id=session_id,
                reason="wrong_password",
                attempt=attempt.number,
            )
        raise InvalidCredentials("Current password is incorrect", field="current_password")
    async with deps.database.unit_of_work() as session:
        await throttle.clear(session, attempt=attempt)


def _audit_reauthentication_failed(
    session: AsyncSession,
    *,
    now: datetime,
    user: User,
    meta: RequestMeta | None,
    session_id: uuid.UUID | None,
    reason: str,
    attempt: int,
) -> None:
    audit.record(
        session,
        event_type=EventType.REAUTHENTICATION_FAILED,
        now=now,
        meta=meta or RequestMeta(),
        actor_id=user.id,
        subject_id=user.id,
        session_id=session_id,
        details={"reason": reason, "attempt": attempt},
    )


async def change_password(
    deps: Deps,
    *,
    principal: Principal,
    current_password: str,
    new_password: str,
    confirm_password: str | None = None,
) -> PasswordChanged:
    """Change the password, end every other session and every outstanding mailed link, and
    give the caller's session a new refresh token (the old one dies with the old password)."""
    if confirm_password is not None and confirm_password != new_password:
        raise ValidationFailed("Passwords do not match", field="confirm_password")
    user = principal.user
    await check_current_password(
        deps,
        user=user,
        password=current_password,
        meta=principal.meta,
        session_id=principal.session_id,
    )
    if new_password == current_password:
        raise ValidationFailed(
            "New password must differ from the current one", field="new_password"
        )
    await check_new_password(
        deps,
        new_password,
        email=user.email,
        username=user.username,
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
        # Every mailed link dies with the password: one sent before must not outlive it.
        await one_time.revoke_for_user(
            session, user_id=user.id, purposes=tuple(TokenPurpose), now=now, email=user.email
        )
        refresh_token = await replace_refresh_tokens(
            session, deps, auth_session_id=principal.session_id
        )
        auth_session = await session.get(AuthSession, principal.session_id)
        if auth_session is None:
            raise TokenInvalid("Session not found")
        auth_session.last_used_at = now
        audit.record(
            session,
            event_type=EventType.PASSWORD_CHANGED,
            now=now,
            meta=principal.meta,
            actor_id=user.id,
            subject_id=user.id,
            session_id=principal.session_id,
            details={"sessions_revoked": ended, "refresh_token_rotated": True},
        )
    tokens = await pair(deps, user=user, auth_session=auth_session, refresh_token=refresh_token)
    return PasswordChanged(sessions_revoked=ended, tokens=tokens)
