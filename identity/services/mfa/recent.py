"""Recent authentication: the session proved its user within the last minutes.

A login sets ``AuthSession.authenticated_at``; ``reauthenticate`` (the password, a TOTP code
or a backup code) moves it. Sensitive changes (turning MFA off, replacing backup codes,
removing a factor) call ``ensure_recent`` in their transaction: a session whose last proof is
``recent_auth_minutes`` old or older is refused with ``REAUTHENTICATION_REQUIRED``, so a
stolen access token alone cannot turn the second factor off.

Wrong proofs count on the same counter as wrong current passwords (``throttle``'s
``password_change_key``): guesses through either lock both for a while, never the login.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from identity.audit_events import EventType
from identity.clock import isoformat_z
from identity.errors import (
    InvalidCredentials,
    MfaCodeInvalid,
    ReauthenticationRequired,
    TokenInvalid,
    TooManyAttempts,
    ValidationFailed,
)
from identity.models import AuthSession
from identity.models.mfa import ChallengeKind, MfaChallenge, MfaMethod
from identity.principal import Principal
from identity.ratelimit import Budget
from identity.security import otp
from identity.services import audit, request_budgets, runtime_settings, throttle
from identity.services.auth.password import check_current_password
from identity.services.deps import Deps
from identity.services.mfa import backup_codes, totp


class Proof(StrEnum):
    """What a re-authentication presents."""

    PASSWORD = "password"  # noqa: S105 (a proof's name)
    TOTP = MfaMethod.TOTP.value
    BACKUP_CODE = MfaMethod.BACKUP_CODE.value


def is_recent(auth_session: AuthSession | None, *, now: datetime, minutes: int) -> bool:
    """Whether the session's last proof is younger than ``minutes`` (refused at exactly
    ``minutes``)."""
    at = auth_session.authenticated_at if auth_session is not None else None
    return at is not None and now < at + timedelta(minutes=minutes)


async def ensure_recent(session: AsyncSession, deps: Deps, *, principal: Principal) -> None:
    """ReauthenticationRequired unless the caller's session proved its user recently.

    Read in the caller's transaction, so a change and the check it depends on agree."""
    auth_session = await session.get(AuthSession, principal.session_id, populate_existing=True)
    if not is_recent(auth_session, now=deps.clock.now(), minutes=deps.settings.recent_auth_minutes):
        raise ReauthenticationRequired(
            details={"max_age_seconds": deps.settings.recent_auth_minutes * 60}
        )


async def ensure_may_add(session: AsyncSession, deps: Deps, *, principal: Principal) -> None:
    """A factor is added with recent authentication, or by the holder of an enrolment token
    (whose principal names the enrolment as its session): a stolen old session must not add
    a way in (a passkey, login codes by email) nor lock its owner out (an authenticator app)."""
    enrolment = await session.get(MfaChallenge, principal.session_id)
    if (
        enrolment is not None
        and enrolment.kind == ChallengeKind.ENROLLMENT.value
        and enrolment.user_id == principal.user_id
    ):
        return
    await ensure_recent(session, deps, principal=principal)


def _proof(password: str | None, code: str | None, method: str | None) -> Proof:
    """The password when sent (then ``code`` and ``method`` are ignored), else the code as
    ``method`` says (guessed from its length when absent). Neither: a wrong proof."""
    if password is not None:
        return Proof.PASSWORD
    if code is None:
        raise InvalidCredentials("Send your password or a second-factor code", field="password")
    if method is None:
        return Proof.TOTP if len(code.strip()) == otp.DIGITS else Proof.BACKUP_CODE
    if method not in (Proof.TOTP, Proof.BACKUP_CODE):
        raise ValidationFailed("method is totp or backup_code", field="method")
    return Proof(method)


async def _check_code(deps: Deps, *, principal: Principal, code: str, proof: Proof) -> None:
    """A second-factor code, counted like a wrong current password."""
    await request_budgets.charge(deps, Budget.MFA_VERIFY, principal.meta)
    now = deps.clock.now()
    rules = await runtime_settings.current(deps)
    key = throttle.password_change_key(principal.user_id)
    async with deps.database.unit_of_work() as session:
        attempt = await throttle.reserve_attempt(session, key=key, now=now)
        locked_until = attempt.locked_until if attempt.locked_at(now) else None
        if locked_until is None and attempt.number > rules.lockout_threshold:
            locked_until = now + timedelta(minutes=rules.lockout_minutes)
            await throttle.lock(session, attempt=attempt, until=locked_until)
        if locked_until is not None:
            _failed(session, deps, principal=principal, reason="too_many_attempts", proof=proof)
    if locked_until is not None:
        raise TooManyAttempts(
            "Too many wrong proofs; try again later",
            details={"locked_until": isoformat_z(locked_until)},
        )
    async with deps.database.unit_of_work() as session:
        if proof is Proof.TOTP:
            valid = await totp.check_totp(session, deps, user_id=principal.user_id, code=code)
        else:
            valid = await backup_codes.consume(
                session, deps, user_id=principal.user_id, code=code, meta=principal.meta
            )
        if valid:
            await throttle.clear(session, attempt=attempt)
    if not valid:
        async with deps.database.unit_of_work() as session:
            _failed(session, deps, principal=principal, reason="wrong_code", proof=proof)
        raise MfaCodeInvalid(field="code")


def _failed(
    session: AsyncSession, deps: Deps, *, principal: Principal, reason: str, proof: Proof
) -> None:
    audit.record(
        session,
        event_type=EventType.REAUTHENTICATION_FAILED,
        now=deps.clock.now(),
        meta=principal.meta,
        actor_id=principal.user_id,
        subject_id=principal.user_id,
        session_id=principal.session_id,
        details={"reason": reason, "method": proof.value},
    )


async def reauthenticate(
    deps: Deps,
    *,
    principal: Principal,
    password: str | None = None,
    code: str | None = None,
    method: str | None = None,
) -> datetime:
    """Prove the caller again (the password, or a TOTP or backup code); the session's
    ``authenticated_at`` moves to now, which it answers."""
    proof = _proof(password, code, method)
    if password is not None:
        await check_current_password(
            deps,
            user=principal.user,
            password=password,
            meta=principal.meta,
            session_id=principal.session_id,
        )
    else:
        assert code is not None  # noqa: S101 (_proof checked it)
        await _check_code(deps, principal=principal, code=code, proof=proof)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        auth_session = await session.get(AuthSession, principal.session_id, with_for_update=True)
        if auth_session is None or auth_session.revoked_at is not None:
            raise TokenInvalid("Session not found")
        auth_session.authenticated_at = now
        audit.record(
            session,
            event_type=EventType.SESSION_REAUTHENTICATED,
            now=now,
            meta=principal.meta,
            actor_id=principal.user_id,
            subject_id=principal.user_id,
            session_id=principal.session_id,
            details={"method": proof.value},
        )
    return now


async def reauthenticate_if_given(
    deps: Deps,
    *,
    principal: Principal,
    password: str | None,
    code: str | None,
    method: str | None,
) -> None:
    """A sensitive change may carry its own proof (disable, replace backup codes): checked as
    ``reauthenticate`` when sent, else the change relies on the session's last proof."""
    if password is not None or code is not None:
        await reauthenticate(deps, principal=principal, password=password, code=code, method=method)
