"""Passwordless sign-in: a link mailed to the address logs its holder in (or signs them up)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from identity.audit_events import EventType
from identity.errors import AccountNotFound, FeatureDisabled, TokenInvalid
from identity.models import OneTimeToken, TokenPurpose, User, UserStatus
from identity.permissions import USER
from identity.principal import RequestMeta
from identity.ratelimit import Budget
from identity.services import after_answer, audit, one_time, request_budgets, runtime_settings
from identity.services.accounts import find_by_email, new_account, normalize_email
from identity.services.auth import begin_session, ensure_active
from identity.services.auth.session_start import default_tenant
from identity.services.deps import Deps
from identity.services.held import global_role
from identity.services.mfa import login_step
from identity.services.mfa.enrollment import MfaEnrollmentRequired
from identity.services.mfa.pending import MfaRequired
from identity.services.text_rules import identifier_key
from identity.services.tokens import TokenPair, check_device_info, pair
from identity.services.verification import claim_unproven_account


async def request_magic_link(deps: Deps, *, email: str, meta: RequestMeta) -> None:
    """Mail a sign-in link; the answer is the same, and as fast, whether or not the address has
    an account: it comes before the lookup (``after_answer``).

    An unknown address gets a link only while registration is open: redeeming it with
    ``allow_registration`` creates the account.
    """
    await request_budgets.charge_mailing(deps, Budget.MAGIC_LINK_SEND, meta)
    address = normalize_email(email)
    await _enabled(deps)
    after_answer.defer(_mail_link(deps, address=address, meta=meta), name="sign-in link mail")


async def _mail_link(deps: Deps, *, address: str, meta: RequestMeta) -> None:
    rules = await runtime_settings.current(deps)
    lifetime = timedelta(minutes=deps.settings.magic_link_minutes)
    async with deps.database.unit_of_work() as session:
        user = await find_by_email(session, address)
        if user is None and not rules.registration_enabled:
            return
        if user is not None and not user.is_active:
            return
        await one_time.mail(
            session,
            deps,
            purpose=TokenPurpose.MAGIC_LINK,
            to=user.email if user else address,
            user=user,
            lifetime=lifetime,
        )
        audit.record(
            session,
            event_type=EventType.MAGIC_LINK_REQUESTED,
            now=deps.clock.now(),
            meta=meta,
            subject_id=user.id if user else None,
            details={"known_account": user is not None},
        )


async def _enabled(deps: Deps) -> runtime_settings.RuntimeValues:
    rules = await runtime_settings.current(deps)
    if not rules.magic_link_enabled:
        raise FeatureDisabled("Sign-in links are turned off")
    return rules


async def verify_magic_link(
    deps: Deps,
    *,
    token: str,
    allow_registration: bool,
    meta: RequestMeta,
    device_info: dict[str, Any] | None = None,
    device_token: str | None = None,
    cookie_path: str | None = None,
) -> TokenPair | MfaRequired | MfaEnrollmentRequired:
    """Redeem a sign-in link and open a session, as a password login would (and on its
    budget). A link is a first factor only: an account with MFA gets a pending login
    (``MfaRequired``), one that must have MFA and has none an enrolment token, as after a
    password (``identity.services.mfa.login_step``)."""
    check_device_info(device_info)
    await request_budgets.charge(deps, Budget.LOGIN, meta)
    await _enabled(deps)
    now = deps.clock.now()
    async with (
        one_time.refusals_audited(deps, purpose=TokenPurpose.MAGIC_LINK, raw=token, meta=meta),
        deps.database.unit_of_work() as session,
    ):
        # Redeemed first, so two uses of one link cannot both get as far as creating an
        # account; a refusal below rolls the redemption back with everything else.
        row = await one_time.redeem(session, raw=token, purpose=TokenPurpose.MAGIC_LINK, now=now)
        user = await _owner(
            session, deps, row=row, allow_registration=allow_registration, meta=meta
        )
        ensure_active(user, now)
        if not user.email_verified:
            await claim_unproven_account(session, user=user, now=now, meta=meta, via="magic_link")
        step = await login_step.second_step(
            session,
            deps,
            user=user,
            first_factor="magic_link",
            meta=meta,
            device_token=device_token,
            device_info=device_info,
            tenant_id=await default_tenant(session, user),
            cookie_path=cookie_path,
        )
        if step is not None and not isinstance(step, login_step.TrustedDeviceSkip):
            return step
        auth_session, refresh = await begin_session(
            session,
            deps,
            user=user,
            meta=meta,
            device_info=device_info,
            method="magic_link",
            details=step.details if step is not None else None,
        )
    return await pair(deps, user=user, auth_session=auth_session, refresh_token=refresh)


async def _owner(
    session: AsyncSession,
    deps: Deps,
    *,
    row: OneTimeToken,
    allow_registration: bool,
    meta: RequestMeta,
) -> User:
    if row.user_id is not None:
        user = await session.get(User, row.user_id)
        if user is None or user.email_key != identifier_key(row.email):
            raise TokenInvalid("This link was sent to an address the account no longer has")
        return user
    existing = await find_by_email(session, row.email)
    if existing is not None:  # registered some other way since the link was sent
        return existing
    if not (allow_registration and (await runtime_settings.current(deps)).registration_enabled):
        raise AccountNotFound(
            "No account uses this address; verify with allow_registration to create one"
        )
    return await _sign_up(session, deps, email=row.email, meta=meta)


async def _sign_up(session: AsyncSession, deps: Deps, *, email: str, meta: RequestMeta) -> User:
    """An account without a password: it signs in by link until it sets one."""
    now = deps.clock.now()
    primary = await global_role(session, USER)
    assert primary is not None  # noqa: S101 (a system role: never deleted)
    user = new_account(
        email=email,
        primary=primary,
        now=now,
        status=UserStatus.ACTIVE,
        email_verified=True,
        email_verified_at=now,
    )
    session.add(user)
    await session.flush()
    audit.record(
        session,
        event_type=EventType.USER_REGISTERED,
        now=now,
        meta=meta,
        actor_id=user.id,
        subject_id=user.id,
        resource="users",
        resource_id=str(user.id),
        details={"email": email, "method": "magic_link"},
    )
    return user
