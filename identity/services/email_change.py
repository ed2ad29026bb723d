"""Changing the sign-in address: the new address confirms, the old one is told."""

from __future__ import annotations

from datetime import timedelta

from identity.errors import Conflict, TokenInvalid, ValidationFailed
from identity.mail.outbox import enqueue
from identity.models import TokenPurpose, User
from identity.principal import Principal, RequestMeta
from identity.services import audit, one_time
from identity.services.accounts import find_by_email, normalize_email
from identity.services.auth import check_current_password
from identity.services.deps import Deps


async def request_email_change(
    deps: Deps, *, principal: Principal, new_email: str, current_password: str
) -> None:
    """Mail a confirmation link to the new address once the current password is proven."""
    address = normalize_email(new_email, field="new_email")
    user = principal.user
    if address.lower() == user.email_key:
        raise ValidationFailed("This is already your email address", field="new_email")
    await check_current_password(deps, user=user, password=current_password)
    async with deps.database.unit_of_work() as session:
        if await find_by_email(session, address) is not None:
            raise Conflict("Email already registered", field="new_email")
        await one_time.mail(
            session,
            deps,
            purpose=TokenPurpose.EMAIL_CHANGE,
            to=address,
            user=user,
            lifetime=timedelta(hours=deps.settings.email_change_hours),
            extra={"new_email": address},
        )
        audit.record(
            session,
            event_type="email.change_requested",
            now=deps.clock.now(),
            meta=principal.meta,
            actor_id=user.id,
            subject_id=user.id,
            session_id=principal.session_id,
            details={"new_email": address},
        )


async def confirm_email_change(deps: Deps, *, token: str, meta: RequestMeta) -> User:
    """Switch to the confirmed address and tell the old one, in one transaction."""
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        row = await one_time.redeem(session, raw=token, purpose=TokenPurpose.EMAIL_CHANGE, now=now)
        user = await session.get(User, row.user_id) if row.user_id else None
        if user is None:
            raise TokenInvalid("Invalid token")
        if await find_by_email(session, row.email) is not None:
            raise Conflict("Email already registered", field="email")
        old_email = user.email
        user.email = row.email
        user.email_key = row.email.lower()
        user.email_verified = True
        user.email_verified_at = now
        user.updated_at = now
        await one_time.revoke_for_user(
            session,
            user_id=user.id,
            purposes=(TokenPurpose.VERIFY_EMAIL, TokenPurpose.PASSWORD_RESET),
            now=now,
        )
        enqueue(
            session,
            now=now,
            to=old_email,
            template="email_changed_notice",
            context={"name": user.display_name or user.first_name or "", "new_email": row.email},
            user_id=user.id,
        )
        audit.record(
            session,
            event_type="email.changed",
            now=now,
            meta=meta,
            actor_id=user.id,
            subject_id=user.id,
            details={"old_email": old_email, "new_email": row.email},
        )
    return user
