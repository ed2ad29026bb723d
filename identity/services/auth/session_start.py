"""Login: a password checked under the attempt throttle, then a new session."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.clock import isoformat_z
from identity.db import dialect_name
from identity.errors import (
    AccountDisabled,
    AccountLocked,
    EmailNotVerified,
    InvalidCredentials,
    NotFound,
)
from identity.models import AuthSession, Tenant, TenantMember, User, UserStatus
from identity.models.mfa import MfaChallenge
from identity.principal import RequestMeta
from identity.ratelimit import Budget
from identity.security.passwords import PasswordCheck
from identity.services import audit, authorization, request_budgets, runtime_settings, throttle
from identity.services._kit import UNSET, Unset
from identity.services.accounts import find_by_identifier, get_user
from identity.services.auth import login_sql
from identity.services.auth.status import ensure_active
from identity.services.deps import Deps
from identity.services.tokens import (
    PasswordChangeToken,
    TokenPair,
    check_device_info,
    new_refresh_token,
    open_session,
    pair,
    password_change_token,
)

if TYPE_CHECKING:
    from identity.services.mfa.enrollment import MfaEnrollmentRequired
    from identity.services.mfa.pending import MfaRequired

Opened = tuple[AuthSession, str | None, User]
"""A session just opened, its refresh token (None while the password must change), its user."""


MAX_PENDING_FAILURES = 5
"""Wrong second factors a pending login survives (``identity.services.mfa.pending``)."""


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
    tenant_slug: str | None = None,
    device_token: str | None = None,
    cookie_path: str | None = None,
) -> TokenPair | PasswordChangeToken | MfaRequired | MfaEnrollmentRequired:
    """Check a password and open a session; wrong and unknown accounts fail alike.

    Spends the address's login budget; refused while the address has failed too many logins
    (``request_budgets``), and slowed while the service is under attack.

    The session acts in the tenant ``tenant_slug`` names (seed 004's ``organization_slug``),
    else in the user's primary tenant when it is active, else in none. A slug that names no
    active tenant the user is a member of fails exactly like a wrong password: the password
    is still verified, the attempt counted, the same error raised.

    An account that must change its password gets a token good for that alone.

    An account with MFA gets a pending login instead (``MfaRequired``), unless
    ``device_token`` is a live trust of its; one that must have MFA and has none an
    enrolment token (``MfaEnrollmentRequired``). ``cookie_path`` is where the completed
    login sets its cookies (the login answers in cookie mode), kept by the pending login.
    """
    check_device_info(device_info)  # a body we would refuse later must not count as an attempt
    await request_budgets.charge(deps, Budget.LOGIN, meta)
    await request_budgets.ensure_not_stuffing(deps, meta)
    started = time.monotonic()
    attack = await request_budgets.under_attack(deps)
    now = deps.clock.now()
    rules = await runtime_settings.current(deps)
    user, attempt, tenant_id, tenant_ok = await _found_and_counted(
        deps, identifier=identifier, tenant_slug=tenant_slug, now=now
    )
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

    if attack and user is None:
        check = PasswordCheck(valid=False, needs_rehash=False)  # no hash: the answer waits anyway
    else:
        check = await deps.hasher.verify(user.password_hash if user else None, password)
    if not check.valid or user is None or not tenant_ok:
        await _record_failure(
            deps, attempt=attempt, user=user, meta=meta, lock_until=lock_until, threshold=threshold
        )
        await request_budgets.count_failed_login(deps, meta)
        if attack:
            await request_budgets.answer_no_sooner(started)
        raise InvalidCredentials()

    if rules.email_verification_required and not user.email_verified:
        async with deps.database.unit_of_work() as session:
            await throttle.clear(session, attempt=attempt)  # the password was right
        raise EmailNotVerified()
    new_hash = await deps.hasher.hash(password) if check.needs_rehash else None
    if new_hash is None:  # PostgreSQL's common case in one statement, else the plain way
        tokens = await login_sql.log_in_at_once(deps, user, attempt, meta, device_info, tenant_id)
        if tokens is not None:
            return tokens
    user_id = user.id
    permissions: frozenset[str] | None = None
    try:
        async with deps.database.unit_of_work() as session:
            outcome = await _log_in(
                session,
                deps,
                user_id=user_id,
                new_hash=new_hash,
                attempt=attempt,
                meta=meta,
                device_info=device_info,
                tenant_id=tenant_id,
                device_token=device_token,
                cookie_path=cookie_path,
            )
            if isinstance(outcome, tuple) and outcome[1] is not None:
                # The new token's claim, read in the login's transaction.
                opened_session, opened_user = outcome[0], outcome[2]
                held = await authorization.grants(
                    session, [opened_user.id], tenant_id=opened_session.tenant_id
                )
                permissions = held[opened_user.id].permissions
    except (AccountLocked, AccountDisabled) as refusal:
        reason = "locked" if isinstance(refusal, AccountLocked) else refusal.code.lower()
        await _login_refused(deps, subject_id=user_id, meta=meta, reason=reason)
        raise
    if not isinstance(outcome, tuple):
        return outcome
    auth_session, refresh, opened_user = outcome
    if refresh is not None and permissions is not None:
        return await pair(
            deps,
            user=opened_user,
            auth_session=auth_session,
            refresh_token=refresh,
            permissions=permissions,
        )
    return await tokens_of(deps, outcome)


async def _found_and_counted(
    deps: Deps, *, identifier: str, tenant_slug: str | None, now: datetime
) -> login_sql.Found:
    """The account ``identifier`` names, this attempt counted (committed before the password
    is checked), the tenant the login acts in, and whether that tenant is acceptable.

    An identifier or slug holding U+0000 names nothing (PostgreSQL's text cannot hold it,
    so no account or tenant has it): the attempt is counted all the same."""
    driver = deps.database.driver
    if driver is None or "\x00" in identifier + (tenant_slug or ""):
        user: User | None = None
        tenant_id: uuid.UUID | None = None
        tenant_ok = False
        if driver is None:
            async with deps.database.read() as session:
                user = await find_by_identifier(session, identifier)
                tenant_id, tenant_ok = await _chosen_tenant(session, user, tenant_slug)
        key = throttle.login_key(identifier, user.id if user else None)
        async with deps.database.unit_of_work() as session:
            attempt = await throttle.reserve_attempt(session, key=key, now=now)
        return user, attempt, tenant_id, tenant_ok
    return await login_sql.found_and_counted(
        driver, identifier=identifier, tenant_slug=tenant_slug, now=now
    )


async def tokens_of(deps: Deps, opened: Opened) -> TokenPair | PasswordChangeToken:
    """What a login answers for the session it opened."""
    auth_session, refresh, user = opened
    if refresh is None:
        return await password_change_token(deps, user=user, auth_session=auth_session)
    return await pair(deps, user=user, auth_session=auth_session, refresh_token=refresh)


async def _chosen_tenant(
    session: AsyncSession, user: User | None, slug: str | None
) -> tuple[uuid.UUID | None, bool]:
    """The tenant a login acts in, and whether the login may go on: a ``slug`` must name an
    active tenant ``user`` is a member of (else False, answered as a wrong password);
    without one, the primary tenant if it is active (else none)."""
    if user is None:
        return None, slug is None
    wanted = (
        col(Tenant.slug) == slug.strip().lower()
        if slug is not None
        else col(Tenant.id) == user.primary_tenant_id
    )
    if slug is None and user.primary_tenant_id is None:
        return None, True
    found = await session.scalar(
        select(col(Tenant.id))
        .join(TenantMember, col(TenantMember.tenant_id) == col(Tenant.id))
        .where(wanted, col(Tenant.is_active).is_(True), col(TenantMember.user_id) == user.id)
    )
    return found, found is not None or slug is None


async def _log_in(
    session: AsyncSession,
    deps: Deps,
    *,
    user_id: uuid.UUID,
    new_hash: str | None,
    attempt: throttle.Attempt,
    meta: RequestMeta,
    device_info: dict[str, Any] | None,
    tenant_id: uuid.UUID | None = None,
    device_token: str | None = None,
    cookie_path: str | None = None,
) -> Opened | MfaRequired | MfaEnrollmentRequired:
    """The session of a correct password (no refresh token while the password must change),
    or the second step it is due."""
    # Imported here: the MFA modules import this package.
    from identity.services.mfa import login_step, state

    now = deps.clock.now()
    user, factors = await state.account_and_summary(session, user_id)
    if user is None:
        raise NotFound("User not found")
    _ensure_may_log_in(user, now)
    if new_hash is not None:
        user.password_hash = new_hash
    step = await login_step.second_step(
        session,
        deps,
        user=user,
        first_factor="password",
        meta=meta,
        device_token=device_token,
        device_info=device_info,
        tenant_id=tenant_id,
        cookie_path=cookie_path,
        enrol=not user.must_change_password,
        summary=factors,
    )
    if step is not None and not isinstance(step, login_step.TrustedDeviceSkip):
        # The failures counted so far (wrong second factors too) stay until a session opens.
        await throttle.release(session, attempt=attempt)
        return step
    details = step.details if step is not None else None
    if not user.must_change_password and dialect_name(session) == "postgresql":
        return await login_sql.open_at_once(
            session,
            deps,
            user=user,
            attempt=attempt,
            meta=meta,
            device_info=device_info,
            tenant_id=tenant_id,
            details=details,
        )
    await _forget_failures(session, user)
    return await _opened(
        session,
        deps,
        user=user,
        meta=meta,
        device_info=device_info,
        method="password",
        tenant_id=tenant_id,
        amr=["pwd"],
        details=details,
    )


async def _opened(
    session: AsyncSession,
    deps: Deps,
    *,
    user: User,
    meta: RequestMeta,
    device_info: dict[str, Any] | None,
    method: str,
    tenant_id: uuid.UUID | None,
    amr: list[str],
    details: dict[str, Any] | None = None,
) -> Opened:
    if user.must_change_password:
        auth_session = await _open(
            session,
            deps,
            user=user,
            meta=meta,
            device_info=device_info,
            method=method,
            tenant_id=tenant_id,
            amr=amr,
            details=details,
        )
        return auth_session, None, user
    auth_session, refresh = await begin_session(
        session,
        deps,
        user=user,
        meta=meta,
        device_info=device_info,
        method=method,
        tenant_id=tenant_id,
        amr=amr,
        details=details,
    )
    return auth_session, refresh, user


async def resume_login(
    session: AsyncSession,
    deps: Deps,
    *,
    user_id: uuid.UUID,
    meta: RequestMeta,
    first_factor: str,
    second_factor: str,
    amr: list[str],
    device_info: dict[str, Any] | None,
    tenant_id: uuid.UUID | None,
) -> Opened:
    """Open the session a login left pending for its second factor: the account is checked
    again (locked or disabled meanwhile: refused), and the tenant it chose still has to
    be an active one it is a member of (else the default one)."""
    user = await get_user(session, user_id)
    _ensure_may_log_in(user, deps.clock.now())
    await _forget_failures(session, user)
    if tenant_id is not None and not await _still_member(session, user, tenant_id):
        tenant_id = await default_tenant(session, user)
    return await _opened(
        session,
        deps,
        user=user,
        meta=meta,
        device_info=device_info,
        method=first_factor,
        tenant_id=tenant_id,
        amr=amr,
        details={"second_factor": second_factor, "amr": amr},
    )


async def _forget_failures(session: AsyncSession, user: User) -> None:
    """A session opens: the account's failed logins (passwords, second factors) are forgiven."""
    await throttle.forget(session, keys=[throttle.login_key("", user.id)])
    user.failed_login_attempts = 0


async def _still_member(session: AsyncSession, user: User, tenant_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(col(Tenant.id))
        .join(TenantMember, col(TenantMember.tenant_id) == col(Tenant.id))
        .where(
            col(Tenant.id) == tenant_id,
            col(Tenant.is_active).is_(True),
            col(TenantMember.user_id) == user.id,
        )
    )
    return found is not None


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
    tenant_id: uuid.UUID | Unset | None = UNSET,
    amr: list[str] | None = None,
    details: dict[str, Any] | None = None,
) -> tuple[AuthSession, str]:
    """Open a session for a user who just proved who they are; returns it and its refresh
    token. It acts in ``tenant_id`` (checked by the caller), by default in the user's
    primary tenant when that is active. ``amr`` (RFC 8176) names the proofs, ``details``
    go into the login's audit row."""
    if isinstance(tenant_id, Unset):
        tenant_id = await default_tenant(session, user)
    auth_session = await _open(
        session,
        deps,
        user=user,
        meta=meta,
        device_info=device_info,
        method=method,
        tenant_id=tenant_id,
        amr=amr,
        details=details,
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
    tenant_id: uuid.UUID | None,
    amr: list[str] | None = None,
    details: dict[str, Any] | None = None,
) -> AuthSession:
    now = deps.clock.now()
    user.last_login = now
    user.last_login_ip = meta.ip_address
    auth_session = open_session(
        session,
        deps,
        user=user,
        meta=meta,
        device_info=device_info,
        auth_method=method,
        tenant_id=tenant_id,
    )
    auth_session.amr = list(amr or [])
    await session.flush()
    details = {"method": method, "device": auth_session.device_info, **(details or {})}
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
        tenant_id=tenant_id,
    )
    return auth_session


async def default_tenant(session: AsyncSession, user: User) -> uuid.UUID | None:
    """The tenant a new session acts in when none is asked for: the primary one, if active."""
    return (await _chosen_tenant(session, user, None))[0]


def _ensure_may_log_in(user: User, now: Any) -> None:
    if user.locked_until is not None and user.locked_until > now:
        raise _locked(user.locked_until)
    ensure_active(user, now)


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
    event_type: EventType = EventType.LOGIN_FAILED,
    details: dict[str, Any] | None = None,
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
            event_type=event_type,
            now=now,
            meta=meta,
            subject_id=subject,
            details={
                "attempt": attempt.number,
                "known_account": user is not None,
                **(details or {}),
            },
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


async def count_second_factor_failure(
    deps: Deps,
    *,
    user_id: uuid.UUID,
    meta: RequestMeta,
    method: str,
    challenge_id: uuid.UUID,
) -> None:
    """A wrong second factor at login counts toward the account's lockout as a wrong
    password does (the same counter), audited as ``mfa.challenge.failed``."""
    now = deps.clock.now()
    rules = await runtime_settings.current(deps)
    async with deps.database.unit_of_work() as session:
        attempt = await throttle.reserve_attempt(
            session, key=throttle.login_key("", user_id), now=now
        )
        user = await session.get(User, user_id)
        failures = await session.scalar(
            select(col(MfaChallenge.failures)).where(col(MfaChallenge.id) == challenge_id)
        )
    await _record_failure(
        deps,
        attempt=attempt,
        user=user,
        meta=meta,
        lock_until=now + timedelta(minutes=rules.lockout_minutes),
        threshold=rules.lockout_threshold,
        event_type=EventType.MFA_CHALLENGE_FAILED,
        details={
            "method": method,
            "failures": failures,
            "pending_login_ended": (failures or 0) >= MAX_PENDING_FAILURES,
        },
    )
