"""Issuing and redeeming single-use mailed tokens: random, hashed at rest, bound to a purpose.

A token is found by the SHA-256 digest of what the client sends, through a unique index,
so the secret itself is never compared byte by byte. Redeeming is one conditional UPDATE,
so two requests racing with one token cannot both succeed. Every refused token leaves an
audit row (``refusals_audited``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import TokenExpired, TokenInvalid
from identity.mail.outbox import enqueue
from identity.models import OneTimeToken, TokenPurpose, User
from identity.principal import RequestMeta
from identity.security.secrets import hash_token, new_token
from identity.services import audit, throttle
from identity.services.deps import Deps

log = logging.getLogger(__name__)

TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 200
ALL_PURPOSES = tuple(TokenPurpose)
"""What dies when what a token proves changes: every purpose, those added later included."""


@dataclass(frozen=True, slots=True)
class Binding:
    """What must still hold when the token is used: the session that asked, the password then."""

    session_id: uuid.UUID
    password_fingerprint: str


def password_fingerprint(password_hash: str | None) -> str:
    """A digest of the stored password hash (salted, so it changes with every new password)."""
    return hash_token(f"password:{password_hash or ''}")


class BindingBroken(TokenInvalid):
    """The token is genuine, but what it was bound to changed; it is retired for good."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


async def issue(
    session: AsyncSession,
    *,
    purpose: TokenPurpose,
    email: str,
    user_id: uuid.UUID | None,
    now: datetime,
    lifetime: timedelta,
    binding: Binding | None = None,
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
            session_id=binding.session_id if binding else None,
            password_fingerprint=binding.password_fingerprint if binding else None,
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
    row = await _find(session, raw)
    if row is None or row.purpose != purpose.value:
        raise TokenInvalid("Invalid token")
    if row.used_at is not None:
        raise TokenInvalid("This token was already used")
    if row.revoked_at is not None:
        raise TokenInvalid("This token was replaced by a newer one")
    if row.expires_at <= now:
        raise TokenExpired("This token has expired; ask for a new one")
    return row


async def _find(session: AsyncSession, raw: str) -> OneTimeToken | None:
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        return None
    return await session.scalar(
        select(OneTimeToken).where(col(OneTimeToken.token_hash) == hash_token(raw))
    )


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


@asynccontextmanager
async def refusals_audited(
    deps: Deps, *, purpose: TokenPurpose, raw: str, meta: RequestMeta
) -> AsyncIterator[None]:
    """Around a redemption: a refused token leaves an audit row, in a transaction of its own.

    The redemption's transaction rolls back with the refusal, so the row cannot go there.
    Event names: ``one_time_token.reuse_detected`` (already used), ``one_time_token.expired``
    and ``one_time_token.invalid`` (unknown, another purpose, replaced, or no longer bound).
    """
    try:
        yield
    except (TokenInvalid, TokenExpired) as exc:
        try:
            await _record_refusal(deps, purpose=purpose, raw=raw, meta=meta, error=exc)
        except Exception:  # the refusal stands even when its audit row cannot be written
            log.exception("could not audit a refused one-time token")
        raise


async def _record_refusal(
    deps: Deps,
    *,
    purpose: TokenPurpose,
    raw: str,
    meta: RequestMeta,
    error: TokenInvalid | TokenExpired,
) -> None:
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        row = await _find(session, raw)
        event, reason = EventType.ONE_TIME_TOKEN_INVALID, "refused"
        if row is None:
            reason = "unknown"
        elif row.purpose != purpose.value:
            reason = "wrong_purpose"
        elif row.used_at is not None:
            event, reason = EventType.ONE_TIME_TOKEN_REUSE_DETECTED, "used"
        elif row.revoked_at is not None:
            reason = "revoked"
        elif row.expires_at <= now:
            event, reason = EventType.ONE_TIME_TOKEN_EXPIRED, "expired"
        elif isinstance(error, BindingBroken):
            reason = error.reason
            row.revoked_at = now
        audit.record(
            session,
            event_type=event,
            now=now,
            meta=meta,
            subject_id=row.user_id if row else None,
            details={"purpose": purpose.value, "reason": reason},
        )


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


def proven_recipient(user: User | None, to: str) -> bool:
    """Whether ``to`` is an address its account has proven (only then may mail name anyone)."""
    return user is not None and user.email_verified and to == user.email


async def mail(
    session: AsyncSession,
    deps: Deps,
    *,
    purpose: TokenPurpose,
    to: str,
    user: User | None,
    lifetime: timedelta,
    extra: Mapping[str, str] | None = None,
    binding: Binding | None = None,
) -> bool:
    """Issue a token and queue its mail in the same transaction: both commit, or neither.

    Mail of one purpose to one address is counted in fixed windows (``throttle.reserve_mail``):
    five in the window, then one every 15 minutes, so nobody can flood a mailbox, nor keep its
    owner from getting a working link by asking again and again. Each mail carries a fresh
    token and retires the earlier ones (only digests are kept, so an old link cannot be sent
    again). Returns whether a mail was queued; callers answer alike either way.

    Mail to an address nobody has proven carries no text the requester chose (no name).
    """
    now = deps.clock.now()
    if not await throttle.reserve_mail(session, key=throttle.mail_key(purpose.value, to), now=now):
        return False
    raw = await issue(
        session,
        purpose=purpose,
        email=to,
        user_id=user.id if user else None,
        now=now,
        lifetime=lifetime,
        binding=binding,
    )
    named = user is not None and proven_recipient(user, to)
    enqueue(
        session,
        now=now,
        to=to,
        template=_TEMPLATES[purpose],
        context={
            "link": link(deps, purpose=purpose, token=raw),
            "token": raw,
            "name": (user.display_name or user.first_name or "") if user and named else "",
            "expires_minutes": str(int(lifetime.total_seconds() // 60)),
            **(extra or {}),
        },
        user_id=user.id if user else None,
    )
    return True


def link(deps: Deps, *, purpose: TokenPurpose, token: str) -> str:
    """The web app's page for ``purpose``, the token in the fragment.

    A fragment never reaches a server (no access log, no ``Referer``); the page reads it and
    sends the token in a request body.
    """
    return f"{deps.settings.links_base_url}/{_PATHS[purpose]}#token={token}"


async def mail_address_in_use(
    session: AsyncSession, deps: Deps, *, owner: User, meta: RequestMeta, attempted: str
) -> None:
    """Tell an address's owner that someone tried to use it (instead of telling the requester).

    Counted like every other mail, so repeated attempts cannot flood the owner. ``attempted``
    names what was tried (``registration``, ``email_change``) in the audit row only.
    """
    now = deps.clock.now()
    if await throttle.reserve_mail(
        session, key=throttle.mail_key("address_in_use", owner.email), now=now
    ):
        enqueue(
            session,
            now=now,
            to=owner.email,
            template="address_in_use_notice",
            context={},
            user_id=owner.id,
        )
    audit.record(
        session,
        event_type=EventType.EMAIL_ADDRESS_IN_USE,
        now=now,
        meta=meta,
        subject_id=owner.id,
        details={"attempted": attempted},
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
        event_type=EventType.EMAIL_VERIFICATION_SENT,
        now=deps.clock.now(),
        meta=meta,
        actor_id=user.id,
        subject_id=user.id,
    )


MAILS_PER_ADDRESS = throttle.MAILS_PER_WINDOW
LOGIN_LINKS = (TokenPurpose.PASSWORD_RESET, TokenPurpose.MAGIC_LINK)

_TEMPLATES = {
    TokenPurpose.VERIFY_EMAIL: "verify_email",
    TokenPurpose.PASSWORD_RESET: "password_reset",
    TokenPurpose.MAGIC_LINK: "magic_link",
    TokenPurpose.EMAIL_CHANGE: "email_change_confirm",
}
# Pages of the web app (IDENTITY_FRONTEND_URL) that take the token from the fragment.
_PATHS = {
    TokenPurpose.VERIFY_EMAIL: "verify-email",
    TokenPurpose.PASSWORD_RESET: "reset-password",
    TokenPurpose.MAGIC_LINK: "magic-link",
    TokenPurpose.EMAIL_CHANGE: "confirm-email-change",
}
