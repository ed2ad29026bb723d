"""Recovering an account by mail: the reset request and the new password it allows."""

from __future__ import annotations

from datetime import datetime, timedelta

from identity.audit_events import EventType
from identity.errors import TokenInvalid, ValidationFailed
from identity.models import TokenPurpose, User, UserStatus
from identity.principal import RequestMeta
from identity.ratelimit import Budget
from identity.services import after_answer, audit, one_time, request_budgets, throttle
from identity.services.accounts import find_by_email, normalize_email
from identity.services.deps import Deps
from identity.services.mfa import trusted
from identity.services.password_rules import check_new_password
from identity.services.sessions import revoke_sessions
from identity.services.text_rules import identifier_key


async def request_password_reset(deps: Deps, *, email: str, meta: RequestMeta) -> None:
    """Mail a reset link to a known address; unknown ones get the same answer and no mail.

    The answer comes before the address is looked up (``after_answer``), so it takes the
    same time for both.
    """
    await request_budgets.charge_mailing(deps, Budget.FORGOT_PASSWORD, meta)
    address = normalize_email(email)
    after_answer.defer(_mail_reset(deps, address=address, meta=meta), name="password reset mail")


async def _mail_reset(deps: Deps, *, address: str, meta: RequestMeta) -> None:
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        user = await find_by_email(session, address)
        if user is None or not user.is_active:
            return
        await one_time.mail(
            session,
            deps,
            purpose=TokenPurpose.PASSWORD_RESET,
            to=user.email,
            user=user,
            lifetime=timedelta(minutes=deps.settings.password_reset_minutes),
        )
        audit.record(
            session,
            event_type=EventType.PASSWORD_RESET_REQUESTED,
            now=now,
            meta=meta,
            subject_id=user.id,
        )


async def reset_password(
    deps: Deps,
    *,
    token: str,
    new_password: str,
    meta: RequestMeta,
    confirm_password: str | None = None,
) -> int:
    """Set a new password from a reset link; every session ends. Returns how many did."""
    await request_budgets.charge(deps, Budget.RESET_PASSWORD, meta)
    if confirm_password is not None and confirm_password != new_password:
        raise ValidationFailed("Passwords do not match", field="confirm_password")
    now = deps.clock.now()
    async with one_time.refusals_audited(
        deps, purpose=TokenPurpose.PASSWORD_RESET, raw=token, meta=meta
    ):
        async with deps.database.read() as session:
            row = await one_time.peek(
                session, raw=token, purpose=TokenPurpose.PASSWORD_RESET, now=now
            )
            user = await session.get(User, row.user_id) if row.user_id else None
        if user is None:
            raise TokenInvalid("Invalid token")
        await check_new_password(
            deps,
            new_password,
            email=user.email,
            username=user.username,
            field="new_password",
        )
        password_hash = await deps.hasher.hash(new_password)
        return await _set_password(
            deps, token=token, password_hash=password_hash, now=now, meta=meta
        )


async def _set_password(
    deps: Deps, *, token: str, password_hash: str, now: datetime, meta: RequestMeta
) -> int:
    async with deps.database.unit_of_work() as session:
        row = await one_time.redeem(
            session, raw=token, purpose=TokenPurpose.PASSWORD_RESET, now=now
        )
        user = await session.get(User, row.user_id)
        if user is None or user.email_key != identifier_key(row.email):
            raise TokenInvalid("This link was sent to an address the account no longer has")
        user.password_hash = password_hash
        user.password_changed_at = now
        user.must_change_password = False
        # The mailbox answered: the address is proven, and failed-login locks are lifted.
        user.email_verified = True
        user.email_verified_at = user.email_verified_at or now
        user.failed_login_attempts = 0
        if user.status != UserStatus.LOCKED:  # an administrator's lock stays
            user.locked_until = None
        user.updated_at = now
        await throttle.forget(
            session, keys=[throttle.login_key("", user.id), throttle.password_change_key(user.id)]
        )
        # Every other link dies with the password: sign-in, verification, email change alike.
        await one_time.revoke_for_user(
            session,
            user_id=user.id,
            purposes=one_time.ALL_PURPOSES,
            now=now,
            email=user.email,
        )
        ended = await revoke_sessions(session, user_id=user.id, now=now, reason="password_reset")
        await trusted.revoke_all(
            session, user_id=user.id, now=now, reason="password_reset", meta=meta, actor_id=user.id
        )
        audit.record(
            session,
            event_type=EventType.PASSWORD_RESET,
            now=now,
            meta=meta,
            actor_id=user.id,
            subject_id=user.id,
            details={"sessions_revoked": ended},
        )
    return ended
