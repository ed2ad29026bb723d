"""What the invited person does with the token: look at the invitation, accept it.

Both are public and spend the ``invitation`` rate budget of the client address. A token that
is unknown, already used, revoked (or replaced by a resend) or expired gets one answer, 404
``INVITATION_INVALID``, after the same single look-up, so nothing tells the four apart.

Accepting either creates the account of the invited address (the token proves the mailbox,
so the address counts as verified; registration being closed does not matter: the invitation
is an administrator's consent) and answers like a login (an enrolment token instead of a
session when ``mfa_required_for`` covers the account: ``mfa.enrollment.gate``), or, for a
caller signed in to the account of that address, makes that account a member. An address
that has an account is never given a second one: without being signed in to it, accepting
answers 409
``INVITATION_SIGN_IN_REQUIRED``. Joining goes through ``membership.join`` under the tenant's
row lock (409 ``TENANT_FULL``; a deactivated tenant, 409 ``TENANT_INACTIVE``), and a refusal
leaves the invitation pending. The invitation row is locked after the tenant row and claimed
with a conditional UPDATE, so of parallel accepts exactly one succeeds.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import (
    Conflict,
    InvitationInvalid,
    InvitationSignInRequired,
    NotFound,
    TenantInactive,
    ValidationFailed,
)
from identity.models import (
    Invitation,
    InvitationStatus,
    Role,
    Tenant,
    User,
    UserRole,
    UserStatus,
)
from identity.permissions import USER
from identity.principal import Principal, RequestMeta
from identity.ratelimit import Budget
from identity.services import audit, request_budgets, runtime_settings
from identity.services.accounts import Profile, checked_profile, find_by_email, new_account
from identity.services.auth import begin_session
from identity.services.deps import Deps
from identity.services.held import global_role
from identity.services.invitations.common import (
    InvitationDetails,
    details_of,
    live,
    masked,
    token_digest,
)
from identity.services.mfa import enrollment
from identity.services.mfa.enrollment import MfaEnrollmentRequired
from identity.services.password_rules import check_new_password
from identity.services.tenants.membership import join, locked_tenant
from identity.services.text_rules import identifier_key
from identity.services.tokens import TokenPair, check_device_info, pair


@dataclass(frozen=True, slots=True)
class InvitationPreview:
    """What the token's holder may see: enough to decide, the address only partly."""

    tenant_name: str
    invited_by_name: str | None
    email_masked: str
    role_name: str | None
    message: str | None
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Accepted:
    """An accepted invitation: the member, the tenant, and a session's tokens when the
    account was created by accepting (``pair``; None for a signed-in account)."""

    user: User
    tenant: Tenant
    invitation: InvitationDetails
    pair: TokenPair | None
    enrollment: MfaEnrollmentRequired | None = None
    """Instead of ``pair``: the new account must enrol a second factor first (no session)."""

    @property
    def created(self) -> bool:
        return self.pair is not None or self.enrollment is not None


async def _live_by_token(session: AsyncSession, token: str, now: datetime) -> InvitationDetails:
    """The invitation the token opens, or InvitationInvalid whatever is wrong with it."""
    digest = token_digest(token) or ""
    found = await session.scalar(
        select(col(Invitation.id)).where(col(Invitation.token_hash) == digest, live(now))
    )
    details = await details_of(session, found, now) if found is not None else None
    if details is None or details.tenant_name is None:
        raise InvitationInvalid()
    return details


async def validate_invitation(deps: Deps, *, token: str, meta: RequestMeta) -> InvitationPreview:
    await request_budgets.charge(deps, Budget.INVITATION, meta)
    now = deps.clock.now()
    async with deps.database.read() as session:
        details = await _live_by_token(session, token, now)
    invitation = details.invitation
    return InvitationPreview(
        tenant_name=details.tenant_name or "",
        invited_by_name=details.invited_by_name,
        email_masked=masked(invitation.email),
        role_name=details.role_name,
        message=invitation.message,
        expires_at=invitation.expires_at,
    )


@dataclass(frozen=True, slots=True)
class NewAccount:
    """What a new account needs: a password and, optionally, names and a username."""

    password: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None


async def accept_invitation(
    deps: Deps,
    *,
    token: str,
    meta: RequestMeta,
    principal: Principal | None = None,
    account: NewAccount | None = None,
    device_info: dict[str, Any] | None = None,
) -> Accepted:
    await request_budgets.charge(deps, Budget.INVITATION, meta)
    check_device_info(device_info)
    now = deps.clock.now()
    async with deps.database.read() as session:
        details = await _live_by_token(session, token, now)
        owner = await find_by_email(session, details.invitation.email)
    if principal is not None:
        if principal.user.email_key != details.invitation.email_key:
            raise InvitationSignInRequired(
                "This invitation is for another address: sign in to its account to accept it"
            )
        return await _join_signed_in(deps, token=token, principal=principal, meta=meta)
    if owner is not None:
        raise InvitationSignInRequired()
    return await _join_new(
        deps,
        token=token,
        email=details.invitation.email,
        account=account or NewAccount(),
        meta=meta,
        device_info=device_info,
    )


async def _claim(
    session: AsyncSession, token: str, now: datetime, user_id: uuid.UUID | None
) -> tuple[Tenant, Invitation]:
    """Lock the tenant, then the invitation, and mark it accepted; InvitationInvalid when
    another request got there first (or it was revoked, resent, expired meanwhile)."""
    digest = token_digest(token) or ""
    tenant_id = await session.scalar(
        select(col(Invitation.tenant_id)).where(col(Invitation.token_hash) == digest)
    )
    if tenant_id is None:
        raise InvitationInvalid()
    try:
        tenant = await locked_tenant(session, tenant_id)
    except NotFound:
        raise InvitationInvalid() from None
    invitation = await session.scalar(
        select(Invitation)
        .where(col(Invitation.token_hash) == digest, live(now))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if invitation is None or invitation.tenant_id != tenant.id:
        raise InvitationInvalid()
    if not tenant.is_active:
        raise TenantInactive("The organization is not active; the invitation cannot be accepted")
    claimed = await session.execute(
        update(Invitation)
        .where(col(Invitation.id) == invitation.id, live(now))
        .values(
            status=InvitationStatus.ACCEPTED.value,
            accepted_at=now,
            accepted_by=user_id,
            updated_at=now,
        )
        .returning(col(Invitation.id))
    )
    if claimed.scalar_one_or_none() is None:
        raise InvitationInvalid()
    await session.refresh(invitation)
    return tenant, invitation


async def _give_role(session: AsyncSession, invitation: Invitation, user: User) -> None:
    if invitation.role_id is None:
        return
    role = await session.get(Role, invitation.role_id)
    if role is None or role.tenant_id != invitation.tenant_id:
        return
    held = await session.get(UserRole, (user.id, role.id))
    if held is None:
        session.add(UserRole(user_id=user.id, role_id=role.id, created_at=invitation.updated_at))


async def _finish(
    session: AsyncSession,
    *,
    tenant: Tenant,
    invitation: Invitation,
    user: User,
    now: datetime,
    meta: RequestMeta,
) -> InvitationDetails:
    await join(session, tenant=tenant, user=user, now=now)
    await _give_role(session, invitation, user)
    if not user.email_verified:
        user.email_verified = True
        user.email_verified_at = now
        user.updated_at = now
    audit.record(
        session,
        event_type=EventType.INVITATION_ACCEPTED,
        now=now,
        meta=meta,
        actor_id=user.id,
        subject_id=user.id,
        resource="invitations",
        resource_id=str(invitation.id),
        tenant_id=tenant.id,
        details={"email": invitation.email, "role_id": str(invitation.role_id or "") or None},
    )
    await session.flush()
    accepted = await details_of(session, invitation.id, now)
    assert accepted is not None  # noqa: S101 (locked above)
    return accepted


async def _join_signed_in(
    deps: Deps, *, token: str, principal: Principal, meta: RequestMeta
) -> Accepted:
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        tenant, invitation = await _claim(session, token, now, principal.user_id)
        user = await session.get(User, principal.user_id, populate_existing=True)
        if user is None or user.email_key != invitation.email_key:
            raise InvitationSignInRequired()
        accepted = await _finish(
            session, tenant=tenant, invitation=invitation, user=user, now=now, meta=meta
        )
    return Accepted(user=user, tenant=tenant, invitation=accepted, pair=None)


async def _join_new(
    deps: Deps,
    *,
    token: str,
    email: str,
    account: NewAccount,
    meta: RequestMeta,
    device_info: dict[str, Any] | None,
) -> Accepted:
    if not account.password:
        raise ValidationFailed("A password is needed for the new account", field="password")
    profile = checked_profile(
        Profile(
            first_name=account.first_name, last_name=account.last_name, username=account.username
        )
    )
    rules = await runtime_settings.current(deps)
    await check_new_password(
        deps,
        account.password,
        email=email,
        username=profile.username,
        min_length=rules.password_min_length,
    )
    password_hash = await deps.hasher.hash(account.password)
    now = deps.clock.now()
    try:
        async with deps.database.unit_of_work() as session:
            # Claimed first: of parallel accepts, only the one holding the claim goes on.
            tenant, invitation = await _claim(session, token, now, None)
            user = await _new_user(
                session, email=email, profile=profile, password_hash=password_hash, now=now
            )
            invitation.accepted_by = user.id
            accepted = await _finish(
                session, tenant=tenant, invitation=invitation, user=user, now=now, meta=meta
            )
            audit.record(
                session,
                event_type=EventType.USER_REGISTERED,
                now=now,
                meta=meta,
                actor_id=user.id,
                subject_id=user.id,
                resource="users",
                resource_id=str(user.id),
                tenant_id=tenant.id,
                details={"email": email, "method": "invitation"},
            )
            step = await enrollment.gate(
                session, deps, user=user, first_factor="invitation", meta=meta
            )
            if step is None:
                auth_session, refresh = await begin_session(
                    session,
                    deps,
                    user=user,
                    meta=meta,
                    device_info=device_info,
                    method="invitation",
                )
                if auth_session.tenant_id is None:
                    auth_session.tenant_id = tenant.id
    except IntegrityError as exc:  # a parallel registration took the address or username
        raise Conflict("Email or username already registered", field="username") from exc
    if step is not None:
        return Accepted(user=user, tenant=tenant, invitation=accepted, pair=None, enrollment=step)
    tokens = await pair(deps, user=user, auth_session=auth_session, refresh_token=refresh)
    return Accepted(user=user, tenant=tenant, invitation=accepted, pair=tokens)


async def _new_user(
    session: AsyncSession, *, email: str, profile: Profile, password_hash: str, now: datetime
) -> User:
    if await find_by_email(session, email) is not None:
        raise InvitationSignInRequired()
    username_key = identifier_key(profile.username) if profile.username else None
    if username_key is not None and await session.scalar(
        select(col(User.id)).where(col(User.username_key) == username_key)
    ):
        raise Conflict("Username already taken", field="username")
    primary = await global_role(session, USER)
    assert primary is not None  # noqa: S101 (a system role: never deleted)
    user = new_account(
        email=email,
        username=profile.username,
        primary=primary,
        now=now,
        first_name=profile.first_name,
        last_name=profile.last_name,
        status=UserStatus.ACTIVE,
        password_hash=password_hash,
        password_changed_at=now,
        email_verified=True,
        email_verified_at=now,
    )
    session.add(user)
    await session.flush()
    return user
