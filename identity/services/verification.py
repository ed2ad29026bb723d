"""Proving an address: the verification mail and the token that answers it.

Whoever registered an address may not own it (account pre-hijacking). When the mailbox's
owner proves an address nobody had proven yet, by a verification link or a sign-in link,
``claim_unproven_account`` ends what the registrant holds: sessions, password and links.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from identity.audit_events import EventType
from identity.errors import AlreadyVerified, TokenInvalid
from identity.models import TokenPurpose, User
from identity.principal import Principal, RequestMeta
from identity.ratelimit import Budget
from identity.services import after_answer, audit, one_time, request_budgets
from identity.services.accounts import find_by_email, get_user, normalize_email
from identity.services.deps import Deps
from identity.services.sessions import revoke_sessions
from identity.services.text_rules import identifier_key

CLAIMED_MESSAGE = (
    "Email verified. Every earlier session and the password chosen at registration were "
    "ended, since the mailbox's owner may not be who registered; choose a password through "
    "password reset (forgot-password) to sign in with one."
)


@dataclass(frozen=True, slots=True)
class Verified:
    """A verified account; ``claimed`` when verifying ended the registrant's password."""

    user: User
    claimed: bool


async def send_verification(deps: Deps, *, principal: Principal, meta: RequestMeta) -> None:
    """The signed-in user asks for a (new) verification mail."""
    await request_budgets.charge_mailing(deps, Budget.VERIFICATION_RESEND, meta)
    async with deps.database.unit_of_work() as session:
        user = await get_user(session, principal.user_id)
        if user.email_verified:
            raise AlreadyVerified()
        await one_time.mail_verification(session, deps, user=user, meta=meta)


async def resend_verification(deps: Deps, *, email: str, meta: RequestMeta) -> None:
    """Anyone may ask; the answer is the same, and as fast, whether or not the address has an
    account: it comes before the lookup (``after_answer``)."""
    await request_budgets.charge_mailing(deps, Budget.VERIFICATION_RESEND, meta)
    address = normalize_email(email)
    after_answer.defer(_resend(deps, address=address, meta=meta), name="verification mail (resend)")


async def _resend(deps: Deps, *, address: str, meta: RequestMeta) -> None:
    async with deps.database.unit_of_work() as session:
        user = await find_by_email(session, address)
        if user is not None and not user.email_verified:
            await one_time.mail_verification(session, deps, user=user, meta=meta)


async def verify_email(
    deps: Deps, *, token: str, meta: RequestMeta, signed_in: Principal | None = None
) -> Verified:
    """Mark the address proven; an account nobody had proven is claimed by the mailbox.

    When the link is followed by someone signed in to that very account (``signed_in``), the
    mailbox's owner and the registrant are one person: the address is proven and nothing is
    taken away. Anyone else proving the address evicts the registrant (a squatter).
    """
    now = deps.clock.now()
    async with (
        one_time.refusals_audited(deps, purpose=TokenPurpose.VERIFY_EMAIL, raw=token, meta=meta),
        deps.database.unit_of_work() as session,
    ):
        row = await one_time.redeem(session, raw=token, purpose=TokenPurpose.VERIFY_EMAIL, now=now)
        user = await session.get(User, row.user_id) if row.user_id else None
        if user is None or user.email_key != identifier_key(row.email):
            raise TokenInvalid("This link was sent to an address the account no longer has")
        registrant = signed_in is not None and signed_in.user_id == user.id
        claimed = not user.email_verified and not registrant
        if claimed:
            await claim_unproven_account(session, user=user, now=now, meta=meta, via="verification")
        else:
            user.email_verified = True
            user.email_verified_at = user.email_verified_at or now
            user.updated_at = now
        audit.record(
            session,
            event_type=EventType.EMAIL_VERIFIED,
            now=now,
            meta=meta,
            actor_id=user.id,
            subject_id=user.id,
            details={"email": user.email},
        )
    return Verified(user=user, claimed=claimed)


async def claim_unproven_account(
    session: AsyncSession, *, user: User, now: datetime, meta: RequestMeta, via: str
) -> None:
    """The mailbox answered for an account nobody had proven yet.

    Whoever registered it may not own the address: the password they chose, the sessions they
    hold and every link still outstanding end here, and the owner sets a password anew
    (through password reset). ``via`` names the link that proved the address.
    """
    had_password = user.password_hash is not None
    user.email_verified = True
    user.email_verified_at = now
    user.password_hash = None
    user.updated_at = now
    ended = await revoke_sessions(session, user_id=user.id, now=now, reason="email_proven_by_link")
    await one_time.revoke_for_user(
        session, user_id=user.id, purposes=one_time.ALL_PURPOSES, now=now, email=user.email
    )
    audit.record(
        session,
        event_type=EventType.ACCOUNT_CLAIMED,
        now=now,
        meta=meta,
        actor_id=user.id,
        subject_id=user.id,
        details={"via": via, "sessions_revoked": ended, "password_cleared": had_password},
    )
