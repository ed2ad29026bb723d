"""Re-authentication with the current password, and the password change."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from identity.audit_events import EventType
from identity.clock import isoformat_z
from identity.errors import InvalidCredentials, TokenInvalid, TooManyAttempts, ValidationFailed
from identity.models import AuthSession, TokenPurpose, User
from identity.principal import Principal, RequestMeta
from identity.services import audit, one_time, runtime_settings, throttle
from identity.services.accounts import get_user
from identity.services.deps import Deps
from identity.services.mfa import enrollment, trusted
from identity.services.mfa.enrollment import MfaEnrollmentRequired
from identity.services.password_rules import check_new_password
from identity.services.sessions import revoke_sessions
from identity.services.tokens import TokenPair, pair, replace_refresh_tokens


@dataclass(frozen=True, slots=True)
class PasswordChanged:
    """The other sessions ended, and the caller's session goes on with new tokens; or, after
    a forced change by an account that must enrol a second factor first, every session
    ended and ``enrollment`` holds the enrolment token (``tokens`` None)."""

    sessions_revoked: int
    tokens: TokenPair | None
    enrollment: MfaEnrollmentRequired | None = None


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
    give the caller's session a new refresh token (the old one dies with the old password).

    A forced change (``must_change_password``: the caller holds the token good for that
    alone) of an account that must have MFA and has none opens no session: the caller's
    ends too and the answer is an enrolment token (``enrollment.gate``), as a login's."""
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
        forced = user.must_change_password
        user.password_hash = password_hash
        user.password_changed_at = now
        user.must_change_password = False
        user.updated_at = now
        step = (
            await enrollment.gate(
                session, deps, user=user, first_factor="password", meta=principal.meta
            )
            if forced
            else None
        )
        ended = await revoke_sessions(
            session,
            user_id=user.id,
            now=now,
            reason="password_changed",
            keep=principal.session_id if step is None else None,
        )
        await trusted.revoke_all(
            session,
            user_id=user.id,
            now=now,
            reason="password_changed",
            meta=principal.meta,
            actor_id=user.id,
        )
        # Every mailed link dies with the password: one sent before must not outlive it.
        await one_time.revoke_for_user(
            session, user_id=user.id, purposes=tuple(TokenPurpose), now=now, email=user.email
        )
        if step is not None:
            _audit_password_changed(
                session, principal=principal, now=now, ended=ended, rotated=False
            )
            return PasswordChanged(sessions_revoked=ended, tokens=None, enrollment=step)
        refresh_token = await replace_refresh_tokens(
            session, deps, auth_session_id=principal.session_id
        )
        auth_session = await session.get(AuthSession, principal.session_id)
        if auth_session is None:
            raise TokenInvalid("Session not found")
        auth_session.last_used_at = now
        _audit_password_changed(session, principal=principal, now=now, ended=ended, rotated=True)
    tokens = await pair(deps, user=user, auth_session=auth_session, refresh_token=refresh_token)
    return PasswordChanged(sessions_revoked=ended, tokens=tokens)


def _audit_password_changed(
    session: AsyncSession, *, principal: Principal, now: datetime, ended: int, rotated: bool
) -> None:
    audit.record(
        session,
        event_type=EventType.PASSWORD_CHANGED,
        now=now,
        meta=principal.meta,
        actor_id=principal.user_id,
        subject_id=principal.user_id,
        session_id=principal.session_id,
        details={"sessions_revoked": ended, "refresh_token_rotated": rotated},
    )
