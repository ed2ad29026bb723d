"""Proving an address: the verification mail and the token that answers it."""

from __future__ import annotations

from identity.errors import AlreadyVerified, TokenInvalid
from identity.models import TokenPurpose, User
from identity.principal import Principal, RequestMeta
from identity.services import audit, one_time
from identity.services.accounts import find_by_email, get_user, normalize_email
from identity.services.deps import Deps


async def send_verification(deps: Deps, *, principal: Principal, meta: RequestMeta) -> None:
    """The signed-in user asks for a (new) verification mail."""
    async with deps.database.unit_of_work() as session:
        user = await get_user(session, principal.user_id)
        if user.email_verified:
            raise AlreadyVerified()
        await one_time.mail_verification(session, deps, user=user, meta=meta)


async def resend_verification(deps: Deps, *, email: str, meta: RequestMeta) -> None:
    """Anyone may ask; the answer is the same whether or not the address has an account."""
    address = normalize_email(email)
    async with deps.database.unit_of_work() as session:
        user = await find_by_email(session, address)
        if user is not None and not user.email_verified:
            await one_time.mail_verification(session, deps, user=user, meta=meta)


async def verify_email(deps: Deps, *, token: str, meta: RequestMeta) -> User:
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        row = await one_time.redeem(session, raw=token, purpose=TokenPurpose.VERIFY_EMAIL, now=now)
        user = await session.get(User, row.user_id) if row.user_id else None
        if user is None or user.email_key != row.email.lower():
            raise TokenInvalid("This link was sent to an address the account no longer has")
        if not user.email_verified:
            user.email_verified = True
            user.email_verified_at = now
            user.updated_at = now
        audit.record(
            session,
            event_type="email.verified",
            now=now,
            meta=meta,
            actor_id=user.id,
            subject_id=user.id,
            details={"email": user.email},
        )
    return user
