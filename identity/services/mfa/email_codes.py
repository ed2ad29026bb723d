"""Login codes by email: a second factor for accounts with a verified address.

``enable`` / ``disable`` turn the factor on and off (both need recent authentication, on
unless the caller holds an enrolment token; off is refused for the last factor of an account
that must have MFA). At login, ``send`` mails a 6-digit code for a pending login: at most
``MAX_SENDS`` per pending login (one conditional UPDATE), each replacing the last, valid
``CODE_LIFETIME``; the pending login lives at least as long as its newest code. ``check`` is
the verifier ``pending.complete`` runs: the code is good once, since completing uses the
pending login up. Sending needs the pending login's ``mfa_token`` (a user id alone is
refused like no pending login).
"""

from __future__ import annotations

import hmac
import uuid
from datetime import timedelta

from sqlalchemy import case, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import (
    EmailNotVerified,
    LastFactorRequired,
    MfaAlreadyEnabled,
    MfaCodeInvalid,
    MfaNotEnabled,
    TooManyAttempts,
)
from identity.mail import mfa_login_templates  # noqa: F401 (registers the templates)
from identity.mail.outbox import enqueue
from identity.models import User
from identity.models.mfa import MfaChallenge, MfaMethod, UserMfa
from identity.principal import Principal, RequestMeta
from identity.ratelimit import Budget
from identity.security import otp
from identity.services import audit, one_time, request_budgets, runtime_settings
from identity.services.deps import Deps
from identity.services.mfa import enrollment, notices, pending, recent, state
from identity.services.mfa.totp import mfa_row

CODE_LIFETIME = timedelta(minutes=10)
MAX_SENDS = 3


def _name(user: User) -> str:
    named = one_time.proven_recipient(user, user.email)
    return (user.display_name or user.first_name or "") if named else ""


async def enable(deps: Deps, *, principal: Principal) -> None:
    """Turn login codes by email on; the address must be verified, and the session recent
    (``recent.ensure_recent``) unless the caller holds an enrolment token."""
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        await recent.ensure_may_add(session, deps, principal=principal)
        user = await session.get(User, principal.user_id, populate_existing=True)
        if user is None or not user.email_verified:
            raise EmailNotVerified("Verify your email address before using it for login codes")
        row = await mfa_row(session, principal.user_id, lock=True)
        if row is not None and row.email_enabled_at is not None:
            raise MfaAlreadyEnabled("Login codes by email are enabled already")
        if row is None:
            row = UserMfa(user_id=principal.user_id, updated_at=now)
            session.add(row)
        row.email_enabled_at = now
        row.updated_at = now
        audit.record(
            session,
            event_type=EventType.MFA_EMAIL_ENABLED,
            now=now,
            meta=principal.meta,
            actor_id=principal.user_id,
            subject_id=principal.user_id,
            session_id=principal.session_id,
        )
        notices.factor_added(session, user=user, now=now, factor="login codes by email")


async def disable(deps: Deps, *, principal: Principal) -> None:
    """Turn login codes by email off (recent authentication needed; not the last factor
    of an account that must have MFA)."""
    now = deps.clock.now()
    rules = await runtime_settings.current(deps)
    async with deps.database.unit_of_work() as session:
        await recent.ensure_recent(session, deps, principal=principal)
        row = await mfa_row(session, principal.user_id, lock=True)
        if row is None or row.email_enabled_at is None:
            raise MfaNotEnabled("Login codes by email are not enabled")
        others = [
            one
            for one in (await state.summary(session, principal.user_id)).methods
            if one not in (MfaMethod.EMAIL, MfaMethod.BACKUP_CODE)
        ]
        if not others and await enrollment.must_have_mfa(
            session, principal.user, rules.mfa_required_for
        ):
            raise LastFactorRequired()
        row.email_enabled_at = None
        if row.preferred == MfaMethod.EMAIL.value:
            row.preferred = None
        row.updated_at = now
        audit.record(
            session,
            event_type=EventType.MFA_EMAIL_DISABLED,
            now=now,
            meta=principal.meta,
            actor_id=principal.user_id,
            subject_id=principal.user_id,
            session_id=principal.session_id,
        )
        enqueue(
            session,
            now=now,
            to=principal.user.email,
            template="mfa_email_disabled",
            context={"name": _name(principal.user)},
            user_id=principal.user_id,
        )


async def send(
    deps: Deps, *, user_id: uuid.UUID | str | None, mfa_token: str | None, meta: RequestMeta
) -> int:
    """Mail a code for the pending login named by ``mfa_token`` (with ``user_id`` too, they
    must agree); the seconds it is valid.

    Only the holder of the login's ``mfa_token`` may: a user id alone answers
    ``MfaCodeInvalid`` exactly as no pending login does, so whoever knows an id learns
    nothing of the account (a password just typed right, its factors) and cannot use up
    its sends. The fourth send of one pending login answers ``TooManyAttempts``.
    """
    await request_budgets.charge_mailing(deps, Budget.MFA_VERIFY, meta)
    wanted = pending.parse_user_id(user_id)
    if not mfa_token or (user_id is not None and wanted is None):
        raise MfaCodeInvalid(field="mfa_token")
    now = deps.clock.now()
    code = otp.new_email_code()
    expires_at = now + CODE_LIFETIME
    async with deps.database.unit_of_work() as session:
        challenge = await pending.find(session, user_id=wanted, mfa_token=mfa_token, now=now)
        if challenge is None:
            raise MfaCodeInvalid(field="mfa_token")
        row = await mfa_row(session, challenge.user_id, lock=False) if challenge.user_id else None
        user = await session.get(User, challenge.user_id) if challenge.user_id else None
        if row is None or row.email_enabled_at is None or user is None:
            raise MfaNotEnabled("Login codes by email are not enabled for this account")
        counted = await session.execute(
            update(MfaChallenge)
            .where(
                col(MfaChallenge.id) == challenge.id,
                col(MfaChallenge.email_sends) < MAX_SENDS,
                col(MfaChallenge.used_at).is_(None),
            )
            .values(
                email_sends=col(MfaChallenge.email_sends) + 1,
                email_code_hash=otp.email_code_hash(challenge.id, code),
                email_code_expires_at=expires_at,
                expires_at=case(
                    (col(MfaChallenge.expires_at) < expires_at, expires_at),
                    else_=col(MfaChallenge.expires_at),
                ),
            )
            .returning(col(MfaChallenge.email_sends))
            .execution_options(synchronize_session=False)
        )
        sends = counted.scalar_one_or_none()
        if sends is None:
            raise TooManyAttempts(f"At most {MAX_SENDS} codes are mailed per login")
        enqueue(
            session,
            now=now,
            to=user.email,
            template="mfa_email_code",
            context={
                "name": _name(user),
                "code": code,
                "expires_minutes": str(int(CODE_LIFETIME.total_seconds() // 60)),
            },
            user_id=user.id,
        )
        audit.record(
            session,
            event_type=EventType.MFA_EMAIL_CODE_SENT,
            now=now,
            meta=meta,
            subject_id=user.id,
            details={"sends": sends},
        )
    return int(CODE_LIFETIME.total_seconds())


async def check(session: AsyncSession, deps: Deps, *, challenge: MfaChallenge, code: str) -> bool:
    """Whether ``code`` is the newest code mailed for this pending login, unexpired, while
    the factor is still on."""
    if challenge.email_code_hash is None or challenge.email_code_expires_at is None:
        return False
    if deps.clock.now() >= challenge.email_code_expires_at or challenge.user_id is None:
        return False
    row = await mfa_row(session, challenge.user_id, lock=False)
    if row is None or row.email_enabled_at is None:
        return False
    return hmac.compare_digest(challenge.email_code_hash, otp.email_code_hash(challenge.id, code))
