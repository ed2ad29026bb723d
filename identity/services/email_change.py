"""Changing the sign-in address: the new address confirms, the old one is told.

A confirmation link is bound to the session that asked for it and to the password of that
moment: it is refused once that session has ended, the password has changed or the account is
disabled, so whoever once held the account cannot finish a change after a recovery.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from identity.audit_events import EventType
from identity.errors import Conflict, TokenInvalid, TooManyAttempts, ValidationFailed
from identity.mail.outbox import enqueue
from identity.models import AuthSession, OneTimeToken, TokenPurpose, User, UserStatus
from identity.principal import Principal, RequestMeta
from identity.ratelimit import Budget
from identity.services import audit, one_time, request_budgets, runtime_settings, throttle
from identity.services.accounts import find_by_email, get_user, normalize_email
from identity.services.auth import check_current_password, is_disabled
from identity.services.deps import Deps
from identity.services.text_rules import identifier_key

REQUESTS_PER_WINDOW = 10
"""Email-change requests one account may make per hour, taken addresses included."""


async def request_email_change(
    deps: Deps, *, principal: Principal, new_email: str, current_password: str
) -> None:
    """Mail a confirmation link to the new address once the current password is proven.

    A taken address answers ``Conflict`` while the runtime setting
    ``registration_reveals_existing`` is on. With it off, the answer is the one a free
    address gets, no link is made, and the address's owner is told instead.
    """
    await request_budgets.charge(deps, Budget.MAIL_PER_ADDRESS, principal.meta)
    address = normalize_email(new_email, field="new_email")
    user = principal.user
    if identifier_key(address) == user.email_key:
        raise ValidationFailed("This is already your email address", field="new_email")
    await check_current_password(
        deps,
        user=user,
        password=current_password,
        meta=principal.meta,
        session_id=principal.session_id,
    )
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:  # counted even when refused below
        allowed = await throttle.reserve_request(
            session,
            key=throttle.request_key("email_change", str(user.id)),
            now=now,
            limit=REQUESTS_PER_WINDOW,
        )
    if not allowed:
        raise TooManyAttempts("Too many email change requests; try again later")
    reveals = (await runtime_settings.current(deps)).registration_reveals_existing
    async with deps.database.unit_of_work() as session:
        owner = await find_by_email(session, address)
        if owner is not None and reveals:
            raise Conflict("Email already registered", field="new_email")
        if owner is not None:
            await one_time.mail_address_in_use(
                session, deps, owner=owner, meta=principal.meta, attempted="email_change"
            )
        else:
            account = await get_user(session, user.id)
            await one_time.mail(
                session,
                deps,
                purpose=TokenPurpose.EMAIL_CHANGE,
                to=address,
                user=account,
                lifetime=timedelta(hours=deps.settings.email_change_hours),
                extra={"new_email": address},
                binding=one_time.Binding(
                    session_id=principal.session_id,
                    password_fingerprint=one_time.password_fingerprint(account.password_hash),
                ),
            )
        audit.record(
            session,
            event_type=EventType.EMAIL_CHANGE_REQUESTED,
            now=now,
            meta=principal.meta,
            actor_id=user.id,
            subject_id=user.id,
            session_id=principal.session_id,
            details={"new_email": address},
        )


async def confirm_email_change(deps: Deps, *, token: str, meta: RequestMeta) -> User:
    """Switch to the confirmed address and tell the old one, in one transaction."""
    now = deps.clock.now()
    async with (
        one_time.refusals_audited(deps, purpose=TokenPurpose.EMAIL_CHANGE, raw=token, meta=meta),
        deps.database.unit_of_work() as session,
    ):
        row = await one_time.redeem(session, raw=token, purpose=TokenPurpose.EMAIL_CHANGE, now=now)
        user = await session.get(User, row.user_id) if row.user_id else None
        if user is None:
            raise TokenInvalid("Invalid token")
        await _ensure_still_bound(session, row=row, user=user, now=now)
        if await find_by_email(session, row.email) is not None:
            raise Conflict("Email already registered", field="email")
        old_email = user.email
        named = one_time.proven_recipient(user, old_email)
        user.email = row.email
        user.email_key = identifier_key(row.email)
        user.email_verified = True
        user.email_verified_at = now
        user.updated_at = now
        # Every other link dies with the address it was sent to (or for).
        await one_time.revoke_for_user(
            session,
            user_id=user.id,
            purposes=one_time.ALL_PURPOSES,
            now=now,
            email=row.email,
        )
        enqueue(
            session,
            now=now,
            to=old_email,
            template="email_changed_notice",
            context={
                "name": (user.display_name or user.first_name or "") if named else "",
                "new_email": row.email,
            },
            user_id=user.id,
        )
        audit.record(
            session,
            event_type=EventType.EMAIL_CHANGED,
            now=now,
            meta=meta,
            actor_id=user.id,
            subject_id=user.id,
            details={"old_email": old_email, "new_email": row.email},
        )
    return user


async def _ensure_still_bound(
    session: AsyncSession, *, row: OneTimeToken, user: User, now: datetime
) -> None:
    """Raise ``BindingBroken`` unless the asking session, the password and the account hold."""
    if row.session_id is None or row.password_fingerprint is None:
        raise one_time.BindingBroken("This link no longer applies", reason="unbound")
    asked_from = await session.get(AuthSession, row.session_id)
    if (
        asked_from is None
        or asked_from.user_id != user.id
        or asked_from.revoked_at is not None
        or asked_from.expires_at <= now
    ):
        raise one_time.BindingBroken(
            "The session that asked for this change has ended", reason="session_ended"
        )
    if row.password_fingerprint != one_time.password_fingerprint(user.password_hash):
        raise one_time.BindingBroken(
            "The password changed after this change was asked for", reason="password_changed"
        )
    if is_disabled(user, now) or user.status == UserStatus.PENDING:
        raise one_time.BindingBroken("This account is disabled", reason="account_disabled")
