"""Issuing and redeeming single-use mailed tokens: random, hashed at rest, bound to a purpose.

A token is found by the SHA-256 digest of what the client sends, through a unique index,
so the secret itself is never compared byte by byte. Redeeming is one conditional UPDATE,
so two requests racing with one token cannot both succeed.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.errors import TokenExpired, TokenInvalid
from identity.mail.outbox import enqueue
from identity.models import OneTimeToken, TokenPurpose, User
from identity.principal import RequestMeta
from identity.security.secrets import hash_token, new_token
from identity.services import audit, throttle
from identity.services.deps import Deps

TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 200


async def issue(
    session: AsyncSession,
    *,
    purpose: TokenPurpose,
    email: str,
    user_id: uuid.UUID | None,
    now: datetime,
    lifetime: timedelta,
) -> str:
    """A new raw token (shown once, in the mail); earlier unused ones of its kind stop working.

    Those are the user's and, for sign-in links, the ones sent to the address before it had an
    account (sign-up links, bound to no user), whatever the letter case of the address.
    """
    if user_id is None:
        owner = sent_before_sign_up(email)
    elif purpose is TokenPurpose.MAGIC_LINK:
        owner = or_(col(OneTimeToken.user_id) == user_id, sent_before_sign_up(email))
    else:
        owner = col(OneTimeToken.user_id) == user_id
    await session.execute(
        update(OneTimeToken)
        .where(
            owner,
            col(OneTimeToken.purpose) == purpose.value,
            col(OneTimeToken.used_at).is_(None),
            col(OneTimeToken.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    raw = new_token(TOKEN_BYTES)
    session.add(
        OneTimeToken(
            token_hash=hash_token(raw),
            purpose=purpose.value,
            user_id=user_id,
            email=email,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return raw


def sent_before_sign_up(email: str) -> ColumnElement[bool]:
    """Tokens bound to no user, sent to ``email`` in any letter case (only sign-up links are)."""
    return and_(
        col(OneTimeToken.user_id).is_(None),
        func.lower(col(OneTimeToken.email)) == email.lower(),
    )


async def peek(
    session: AsyncSession, *, raw: str, purpose: TokenPurpose, now: datetime
) -> OneTimeToken:
    """The token's row if it could be redeemed now; TokenInvalid or TokenExpired otherwise."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        raise TokenInvalid("Invalid token")
    row = await session.scalar(
        select(OneTimeToken).where(col(OneTimeToken.token_hash) == hash_token(raw))
    )
    if row is None or row.purpose != purpose.value:
        raise TokenInvalid("Invalid token")
    if row.used_at is not None:
        raise TokenInvalid("This token was already used")
    if row.revoked_at is not None:
        raise TokenInvalid("This token was replaced by a newer one")
    if row.expires_at <= now:
        raise TokenExpired("This token has expired; ask for a new one")
    return row


async def redeem(
    session: AsyncSession, *, raw: str, purpose: TokenPurpose, now: datetime
) -> OneTimeToken:
    """Mark the token used, or raise as ``peek`` does; a token is redeemed once."""
    row = await peek(session, raw=raw, purpose=purpose, now=now)
    claimed = await session.execute(
        update(OneTimeToken)
        .where(
            col(OneTimeToken.id) == row.id,
            col(OneTimeToken.used_at).is_(None),
            col(OneTimeToken.revoked_at).is_(None),  # a concurrent reset may have retired it
            col(OneTimeToken.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(OneTimeToken.id))
    )
    if claimed.scalar_one_or_none() is None:
        raise TokenInvalid("This token was already used or replaced")
    row.used_at = now
    return row


MAILS_PER_ADDRESS = 5
LOGIN_LINKS = (TokenPurpose.PASSWORD_RESET, TokenPurpose.MAGIC_LINK)


async def revoke_for_user(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    purposes: tuple[TokenPurpose, ...],
    now: datetime,
    email: str | None = None,
) -> None:
    """Retire a user's unused tokens of some purposes (after a reset, the other links die).

    With ``email``, so do the ones sent to that address before it had an account: a sign-up
    link to an address that has registered since signs in to that account.
    """
    owner = col(OneTimeToken.user_id) == user_id
    if email is not None:
        owner = or_(owner, sent_before_sign_up(email))
    await session.execute(
        update(OneTimeToken)
        .where(
            owner,
            or_(*(col(OneTimeToken.purpose) == purpose.value for purpose in purposes)),
            col(OneTimeToken.used_at).is_(None),
            col(OneTimeToken.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )


async def mail(
    session: AsyncSession,
    deps: Deps,
    *,
    purpose: TokenPurpose,
    to: str,
    user: User | None,
    lifetime: timedelta,
    extra: Mapping[str, str] | None = None,
) -> None:
    """Issue a token and queue its mail in the same transaction: both commit, or neither.

    Past ``MAILS_PER_ADDRESS`` mails of one purpose to one address within the throttle's
    window, nothing is sent and the earlier link stays valid: otherwise anyone could flood
    a mailbox, or keep its owner's reset link forever replaced. Callers answer alike.
    """
    now = deps.clock.now()
    attempt = await throttle.reserve_attempt(
        session, key=throttle.mail_key(purpose.value, to), now=now
    )
    if attempt.number > MAILS_PER_ADDRESS:
        return
    raw = await issue(
        session,
        purpose=purpose,
        email=to,
        user_id=user.id if user else None,
        now=now,
        lifetime=lifetime,
    )
    enqueue(
        session,
        now=now,
        to=to,
        template=_TEMPLATES[purpose],
        context={
            "link": f"{deps.settings.links_base_url}/{_PATHS[purpose]}?token={raw}",
            "token": raw,
            "name": (user.display_name or user.first_name or "") if user else "",
            "expires_minutes": str(int(lifetime.total_seconds() // 60)),
            **(extra or {}),
        },
        user_id=user.id if user else None,
    )


async def mail_verification(
    session: AsyncSession, deps: Deps, *, user: User, meta: RequestMeta
) -> None:
    """Mail a verification link (registration and both resend routes use this)."""
    await mail(
        session,
        deps,
        purpose=TokenPurpose.VERIFY_EMAIL,
        to=user.email,
        user=user,
        lifetime=timedelta(hours=deps.settings.verification_token_hours),
    )
    audit.record(
        session,
        event_type="email.verification_sent",
        now=deps.clock.now(),
        meta=meta,
        actor_id=user.id,
        subject_id=user.id,
    )


_TEMPLATES = {
    TokenPurpose.VERIFY_EMAIL: "verify_email",
    TokenPurpose.PASSWORD_RESET: "password_reset",
    TokenPurpose.MAGIC_LINK: "magic_link",
    TokenPurpose.EMAIL_CHANGE: "email_change_confirm",
}
# Pages of the web app (IDENTITY_FRONTEND_URL) that take the token from the query string.
_PATHS = {
    TokenPurpose.VERIFY_EMAIL: "verify-email",
    TokenPurpose.PASSWORD_RESET: "reset-password",
    TokenPurpose.MAGIC_LINK: "magic-link",
    TokenPurpose.EMAIL_CHANGE: "confirm-email-change",
}
