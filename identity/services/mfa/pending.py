"""The pending login: a first factor succeeded for an account with MFA, a second completes it.

A pending login is an ``MfaChallenge`` of kind ``login``, found by its user (the seed's
``{user_id, code}``) or by the digest of its ``mfa_token``. It lives ``LIFETIME`` (a mailed
code may extend it to the code's own expiry), keeps what the first factor decided (device,
tenant, the answer's cookie mode) so that completing it opens the session the login would
have opened, and dies when the password changes (``password_fingerprint``).

Every second-factor check first reserves one of ``MAX_FAILURES`` attempts with one
conditional UPDATE committed on its own, then checks: of 50 parallel wrong codes at most 5
are checked, the rest find the pending login dead. A wrong factor counts toward the
account's lockout like a wrong password. Whatever is wrong (no pending login, another user's
token, a used or expired one, a wrong code) answers the same ``MfaCodeInvalid``.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import IdentityError, InvalidCredentials, MfaCodeInvalid
from identity.models import User
from identity.models.mfa import ChallengeKind, MfaChallenge, MfaMethod
from identity.principal import RequestMeta
from identity.ratelimit import Budget
from identity.security.secrets import hash_token, new_token
from identity.services import audit, request_budgets
from identity.services.deps import Deps
from identity.services.one_time import password_fingerprint
from identity.services.tokens import PasswordChangeToken, TokenPair

LIFETIME = timedelta(minutes=5)
MAX_FAILURES = 5
TOKEN_PREFIX = "mfa_"  # noqa: S105 (a marker, not a secret)
MAX_TOKEN_LENGTH = 200

FIRST_FACTOR_AMR = {"password": "pwd"}
"""RFC 8176 values of first factors; a mailed sign-in link has none of its own."""
SECOND_FACTOR_AMR = {
    MfaMethod.TOTP: "otp",
    MfaMethod.EMAIL: "otp",
    MfaMethod.BACKUP_CODE: "otp",
    MfaMethod.WEBAUTHN: "hwk",
}

Verify = Callable[[AsyncSession, MfaChallenge], Awaitable[bool]]
"""Checks the second factor against a pending login, in the completing transaction."""


@dataclass(frozen=True, slots=True)
class MfaRequired:
    """The answer of a first factor when a second is due: no tokens, no session."""

    user_id: uuid.UUID
    mfa_token: str
    methods: tuple[MfaMethod, ...]
    preferred: MfaMethod | None
    expires_in: int


@dataclass(frozen=True, slots=True)
class Completed:
    """A completed login: what the first factor's route would have answered (``tokens``,
    and ``cookie_path`` when it answered in cookie mode)."""

    tokens: TokenPair | PasswordChangeToken
    cookie_path: str | None
    method: MfaMethod


def amr_of(first_factor: str | None, method: MfaMethod | None) -> list[str]:
    """The session's ``amr``: the first factor's value, the second's, and ``mfa``."""
    values = [FIRST_FACTOR_AMR[first_factor]] if first_factor in FIRST_FACTOR_AMR else []
    if method is not None:
        second = SECOND_FACTOR_AMR[method]
        if second not in values:
            values.append(second)
        values.append("mfa")
    return values


def open_pending(
    session: AsyncSession,
    deps: Deps,
    *,
    user: User,
    first_factor: str,
    methods: list[MfaMethod],
    preferred: MfaMethod | None,
    meta: RequestMeta,
    context: dict[str, Any],
) -> MfaRequired:
    """Add a pending login in the caller's transaction (the first factor's)."""
    now = deps.clock.now()
    raw = TOKEN_PREFIX + new_token()
    session.add(
        MfaChallenge(
            kind=ChallengeKind.LOGIN.value,
            token_hash=hash_token(raw),
            user_id=user.id,
            first_factor=first_factor,
            context=context,
            password_fingerprint=password_fingerprint(user.password_hash),
            created_at=now,
            expires_at=now + LIFETIME,
        )
    )
    audit.record(
        session,
        event_type=EventType.MFA_CHALLENGE_ISSUED,
        now=now,
        meta=meta,
        actor_id=user.id,
        subject_id=user.id,
        details={"first_factor": first_factor, "methods": [one.value for one in methods]},
    )
    return MfaRequired(
        user_id=user.id,
        mfa_token=raw,
        methods=tuple(methods),
        preferred=preferred if preferred in methods else (methods[0] if methods else None),
        expires_in=int(LIFETIME.total_seconds()),
    )


def _alive(now: datetime) -> list[Any]:
    return [
        col(MfaChallenge.kind) == ChallengeKind.LOGIN.value,
        col(MfaChallenge.used_at).is_(None),
        col(MfaChallenge.expires_at) > now,
        col(MfaChallenge.failures) < MAX_FAILURES,
    ]


def parse_user_id(raw: str | uuid.UUID | None) -> uuid.UUID | None:
    """A client's ``user_id``; a malformed one finds no pending login (answered alike)."""
    if raw is None or isinstance(raw, uuid.UUID):
        return raw
    try:
        return uuid.UUID(raw.strip()) if len(raw) <= 64 else None
    except ValueError:
        return None


async def find(
    session: AsyncSession,
    *,
    user_id: uuid.UUID | None,
    mfa_token: str | None,
    now: datetime,
) -> MfaChallenge | None:
    """The live pending login named by ``mfa_token`` (which must be ``user_id``'s when both
    are given), else ``user_id``'s newest; None when there is none."""
    if mfa_token is None and user_id is None:
        return None
    query = select(MfaChallenge).where(*_alive(now))
    if mfa_token is not None:
        if not mfa_token or len(mfa_token) > MAX_TOKEN_LENGTH:
            return None
        query = query.where(col(MfaChallenge.token_hash) == hash_token(mfa_token))
    if user_id is not None:
        query = query.where(col(MfaChallenge.user_id) == user_id)
    query = query.order_by(col(MfaChallenge.created_at).desc()).limit(1)
    return (await session.scalars(query)).first()


async def _password_unchanged(session: AsyncSession, challenge: MfaChallenge) -> User | None:
    user = await session.get(User, challenge.user_id, populate_existing=True)
    if user is None or password_fingerprint(user.password_hash) != challenge.password_fingerprint:
        return None
    return user


async def reserve(
    deps: Deps, *, user_id: uuid.UUID | None, mfa_token: str | None, meta: RequestMeta
) -> tuple[uuid.UUID, uuid.UUID]:
    """Count one attempt at a pending login before its factor is checked; its id and user.

    Charges the caller's second-factor budget. A pending login that is missing, dead, out
    of attempts or whose password changed raises ``MfaCodeInvalid``, as a wrong code does.
    """
    await request_budgets.charge(deps, Budget.MFA_VERIFY, meta)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        challenge = await find(session, user_id=user_id, mfa_token=mfa_token, now=now)
        if challenge is None:
            raise MfaCodeInvalid(field="code")
        if await _password_unchanged(session, challenge) is None:
            await session.execute(
                update(MfaChallenge)
                .where(col(MfaChallenge.id) == challenge.id)
                .values(failures=MAX_FAILURES)
            )
            return_dead = True
        else:
            counted = await session.execute(
                update(MfaChallenge)
                .where(col(MfaChallenge.id) == challenge.id, *_alive(now))
                .values(failures=col(MfaChallenge.failures) + 1)
                .returning(col(MfaChallenge.id))
                .execution_options(synchronize_session=False)
            )
            return_dead = counted.first() is None
    if return_dead or challenge.user_id is None:
        raise MfaCodeInvalid(field="code")
    return challenge.id, challenge.user_id


async def complete(
    deps: Deps,
    *,
    user_id: uuid.UUID | str | None,
    mfa_token: str | None,
    method: MfaMethod,
    verify: Verify,
    meta: RequestMeta,
) -> Completed:
    """Check a second factor against a pending login and, when it holds, open the session
    the first factor's login would have opened (``amr`` recorded, audited with ``method``).

    ``verify`` runs in the completing transaction: what it changes (a TOTP step, a spent
    backup code, a sign counter) commits only with the session. A wrong factor (False, or
    an ``IdentityError`` it raises) is counted toward the account's lockout.
    """
    # Imported here: session_start imports the MFA gate, which imports this module.
    from identity.services.auth import session_start

    wanted = parse_user_id(user_id) if user_id is not None else None
    if user_id is not None and wanted is None:
        await request_budgets.charge(deps, Budget.MFA_VERIFY, meta)
        raise MfaCodeInvalid(field="code")
    challenge_id, owner = await reserve(deps, user_id=wanted, mfa_token=mfa_token, meta=meta)
    try:
        async with deps.database.unit_of_work() as session:
            challenge = await session.get(MfaChallenge, challenge_id, populate_existing=True)
            if challenge is None or not await verify(session, challenge):
                raise MfaCodeInvalid(field="code")
            now = deps.clock.now()
            claimed = await session.execute(
                update(MfaChallenge)
                .where(
                    col(MfaChallenge.id) == challenge_id,
                    col(MfaChallenge.used_at).is_(None),
                    col(MfaChallenge.expires_at) > now,
                )
                .values(used_at=now, failures=col(MfaChallenge.failures) - 1)
                .returning(col(MfaChallenge.id))
                .execution_options(synchronize_session=False)
            )
            if claimed.first() is None:  # completed in parallel, or expired meanwhile
                raise _Replayed()
            context = dict(challenge.context or {})
            opened = await session_start.resume_login(
                session,
                deps,
                user_id=owner,
                meta=meta,
                first_factor=challenge.first_factor or "password",
                amr=amr_of(challenge.first_factor, method),
                second_factor=method.value,
                device_info=context.get("device_info"),
                tenant_id=_uuid_or_none(context.get("tenant_id")),
            )
    except _Replayed:
        raise MfaCodeInvalid(field="code") from None
    except IdentityError as refusal:
        if isinstance(refusal, InvalidCredentials):
            await session_start.count_second_factor_failure(
                deps, user_id=owner, meta=meta, method=method.value, challenge_id=challenge_id
            )
        raise
    tokens = await session_start.tokens_of(deps, opened)
    cookie_path = context.get("cookie_path")
    return Completed(
        tokens=tokens,
        cookie_path=cookie_path if isinstance(cookie_path, str) else None,
        method=method,
    )


class _Replayed(Exception):
    """The pending login was completed by a parallel request."""


def _uuid_or_none(value: object) -> uuid.UUID | None:
    return uuid.UUID(value) if isinstance(value, str) else None
