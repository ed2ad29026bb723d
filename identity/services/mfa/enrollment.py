"""Enforced MFA: an account that must have a second factor and has none enrols before it
gets a session.

The runtime setting ``mfa_required_for`` (``none`` | ``admins`` | ``all``) says who must
have MFA; ``admins`` are the accounts that administer something (``administers``: a primary
role other than ``user``, or an ``ADMINISTRATIVE`` permission held anywhere).
Such an account's first factor answers ``MfaEnrollmentRequired`` with an enrolment token
instead of tokens: an opaque bearer credential (``mfe_…``, an ``MfaChallenge`` of kind
``enrollment`` stored as its digest) that ``identity.web.credentials`` accepts only where a
route asks for it (``for_mfa_enrollment``): TOTP setup and enable. Every other route refuses
it (it is no access token). Once a factor is enabled the token is dead, and the user logs in
again, now with the second factor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import TokenInvalid
from identity.models import User
from identity.models.mfa import ChallengeKind, MfaChallenge
from identity.permissions import USER, Permission
from identity.principal import HeldPermissions, Principal, RequestMeta
from identity.security.secrets import hash_token, new_token
from identity.services import audit, authorization, runtime_settings
from identity.services.auth.status import is_disabled
from identity.services.deps import Deps
from identity.services.mfa import state
from identity.services.one_time import password_fingerprint

LIFETIME = timedelta(minutes=15)
TOKEN_PREFIX = "mfe_"  # noqa: S105 (a marker, not a secret)
MAX_TOKEN_LENGTH = 200
SCOPE = "mfa_enrollment"
"""What an enrolment token is good for: setting up and enabling a second factor."""

NONE, ADMINS, ALL = "none", "admins", "all"
CHOICES = (NONE, ADMINS, ALL)


@dataclass(frozen=True, slots=True)
class MfaEnrollmentRequired:
    """The answer of a first factor for an account that must enrol first: no session."""

    user_id: str
    enrollment_token: str
    expires_in: int


def is_enrollment_token(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX)


ADMINISTRATIVE = frozenset(one for one in Permission if not one.value.endswith(":read")) - {
    Permission.AUDIT_EXPORT
}
"""The permissions that make their holder an administrator for ``mfa_required_for =
admins``: every catalogue permission that changes something (users, roles, permissions,
settings, tenants, invitations, locations, sessions, API keys, webhooks); reads and the
audit export do not."""


async def administers(session: AsyncSession, user: User) -> bool:
    """Whether the account administers something: its primary role is not ``user``, or a
    role it holds (globally or in any tenant, switched on or off) or a direct grant gives
    it an ``ADMINISTRATIVE`` permission."""
    if user.role != USER:
        return True
    held = (await authorization.grants(session, [user.id], every_tenant=True, inactive_roles=True))[
        user.id
    ]
    return not held.permissions.isdisjoint(ADMINISTRATIVE)


async def must_have_mfa(session: AsyncSession, user: User, required_for: str) -> bool:
    """Whether ``mfa_required_for`` covers this account (``administers`` for ``admins``)."""
    if required_for == ALL:
        return True
    return required_for == ADMINS and await administers(session, user)


async def due(session: AsyncSession, deps: Deps, *, user: User) -> bool:
    """Whether this account must enrol before it gets a session."""
    rules = await runtime_settings.current(deps)
    return await must_have_mfa(session, user, rules.mfa_required_for)


async def gate(
    session: AsyncSession,
    deps: Deps,
    *,
    user: User,
    first_factor: str,
    meta: RequestMeta,
    has_mfa: bool | None = None,
) -> MfaEnrollmentRequired | None:
    """The enforcement every way of opening a session goes through, in its transaction: an
    account that must have MFA and has none gets an enrolment token (returned) instead of a
    session; None lets the session open.

    Its callers: every first factor (``login_step.second_step``: password logins, sign-in
    links and the accounts they sign up), an invitation accepted as a new account, and the
    forced password change (``auth.password.change_password``).

    ``has_mfa``: whether the account has a factor, when the caller read it in this
    transaction already (else it is read here).
    """
    if has_mfa is None:
        has_mfa = await state.has_mfa(session, user.id)
    if has_mfa or not await due(session, deps, user=user):
        return None
    return issue(session, deps, user=user, first_factor=first_factor, meta=meta)


def issue(
    session: AsyncSession, deps: Deps, *, user: User, first_factor: str, meta: RequestMeta
) -> MfaEnrollmentRequired:
    """Add an enrolment token in the caller's transaction (the first factor's)."""
    now = deps.clock.now()
    raw = TOKEN_PREFIX + new_token()
    session.add(
        MfaChallenge(
            kind=ChallengeKind.ENROLLMENT.value,
            token_hash=hash_token(raw),
            user_id=user.id,
            first_factor=first_factor,
            password_fingerprint=password_fingerprint(user.password_hash),
            created_at=now,
            expires_at=now + LIFETIME,
        )
    )
    audit.record(
        session,
        event_type=EventType.MFA_ENROLLMENT_REQUIRED,
        now=now,
        meta=meta,
        actor_id=user.id,
        subject_id=user.id,
        details={"first_factor": first_factor},
    )
    return MfaEnrollmentRequired(
        user_id=str(user.id), enrollment_token=raw, expires_in=int(LIFETIME.total_seconds())
    )


async def principal(deps: Deps, *, token: str, meta: RequestMeta) -> Principal:
    """The enrolling user, for the setup and enable of a second factor only.

    Refused (TOKEN_INVALID) once expired, once the account has a factor, when the password
    changed since, or when the account is disabled. The principal holds no permission and
    names the enrolment as its session.
    """
    if not is_enrollment_token(token) or len(token) > MAX_TOKEN_LENGTH:
        raise TokenInvalid()
    now = deps.clock.now()
    async with deps.database.read() as session:
        challenge = (
            await session.scalars(
                select(MfaChallenge).where(
                    col(MfaChallenge.token_hash) == hash_token(token),
                    col(MfaChallenge.kind) == ChallengeKind.ENROLLMENT.value,
                    col(MfaChallenge.used_at).is_(None),
                    col(MfaChallenge.expires_at) > now,
                )
            )
        ).first()
        user = (
            await session.get(User, challenge.user_id) if challenge and challenge.user_id else None
        )
        if challenge is None or user is None:
            raise TokenInvalid("Enrolment token is invalid or expired")
        if password_fingerprint(user.password_hash) != challenge.password_fingerprint:
            raise TokenInvalid("The password changed since: log in again")
        if is_disabled(user, now):
            raise TokenInvalid("Account is disabled")
        if await state.has_mfa(session, user.id):
            raise TokenInvalid("A second factor is enabled already: log in again")
    return Principal(
        user=user,
        user_id=user.id,
        session_id=challenge.id,
        email=user.email,
        role=user.role,
        token_id=str(challenge.id),
        meta=meta,
        held=HeldPermissions(),
    )
