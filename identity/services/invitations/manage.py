"""Inviting people to a tenant: create, list, read, revoke, resend (``invitations:manage``).

Where the permission reaches decides everything (``tenancy.reach``): lists hold only the
invitations of the tenants in reach, and another tenant's invitation is not found (404).

Creating again for an address with a pending, unexpired invitation to the tenant answers 409
``INVITATION_PENDING`` (the existing one is named in ``details.invitation_id``; resend it or
revoke it first): the first invitation's link keeps working, and nobody replaces an invitation
by accident. A pending invitation past its expiry no longer blocks: it is stored as expired and
the new one takes its place.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import (
    InvitationNotPending,
    InvitationPending,
    InvitationResendLimit,
    InviteeAlreadyMember,
    NotFound,
    TenantInactive,
    TenantRequired,
    ValidationFailed,
)
from identity.models import AuditEvent, Invitation, InvitationStatus, Role, Tenant
from identity.permissions import Permission
from identity.principal import Principal
from identity.services import access, audit, request_budgets, tenancy
from identity.services.accounts import find_by_email, normalize_email
from identity.services.deps import Deps
from identity.services.invitations.common import (
    DEFAULT_DAYS,
    MAX_DAYS,
    MAX_MESSAGE_LENGTH,
    RESENDS_PER_DAY,
    InvitationDetails,
    details_from,
    details_of,
    details_query,
    mail_invitation,
    new_secret,
    status_at,
    with_status,
)
from identity.services.tenants.membership import is_member
from identity.services.text_rules import identifier_key, optional_text

MAX_PAGE = 100
NOT_FOUND = "Invitation not found"
MANAGE = Permission.INVITATIONS_MANAGE


def _expiry_days(value: int | None) -> int:
    days = DEFAULT_DAYS if value is None else value
    if not 1 <= days <= MAX_DAYS:
        raise ValidationFailed(
            f"expires_in_days must be 1 to {MAX_DAYS}",
            field="expires_in_days",
            details={"min": 1, "max": MAX_DAYS},
        )
    return days


def _tenant_for(
    reach: tenancy.Reach, principal: Principal, requested: uuid.UUID | None
) -> uuid.UUID:
    """The tenant named (within reach), else the one reached, else the caller's active one."""
    if requested is not None:
        if not reach.covers(requested):
            raise NotFound("Organization not found", field="tenant_id")
        return requested
    chosen = reach.tenant_id or principal.tenant_id
    if chosen is None:
        raise TenantRequired("Name the organization to invite to (tenant_id)", field="tenant_id")
    return chosen


async def _role_of_tenant(
    session: AsyncSession, held: frozenset[str], role_id: uuid.UUID, tenant_id: uuid.UUID
) -> Role:
    """A role of the tenant the caller could hand out themself (no escalation)."""
    role = await session.get(Role, role_id)
    if role is None or role.tenant_id != tenant_id:
        raise NotFound("Role not found", field="role_id")
    granted = await access.role_permission_names(session, [role.id])
    access.no_escalation(held, granted, "Inviting with this role", field="role_id")
    return role


async def create_invitation(
    deps: Deps,
    *,
    principal: Principal | None,
    email: str,
    tenant_id: uuid.UUID | None = None,
    role_id: uuid.UUID | None = None,
    message: str | None = None,
    expires_in_days: int | None = None,
) -> tuple[InvitationDetails, str]:
    """Store an invitation and queue its mail; returns it and its raw token (for the mail and
    tests only: no answer shows it)."""
    reach = await tenancy.reach(deps, principal, MANAGE)
    assert principal is not None  # noqa: S101 (reach refused anonymous callers)
    await request_budgets.charge_inviter(deps, principal)
    address = normalize_email(email)
    key = identifier_key(address)
    text = optional_text(message, field="message", max_length=MAX_MESSAGE_LENGTH)
    days = _expiry_days(expires_in_days)
    target = _tenant_for(reach, principal, tenant_id)
    now = deps.clock.now()
    raw, digest = new_secret()
    try:
        async with deps.database.unit_of_work() as session:
            tenant = await session.get(Tenant, target)
            reach, held = await tenancy.reach_now(session, principal, MANAGE)
            if tenant is None or not reach.covers(target):
                raise NotFound("Organization not found", field="tenant_id")
            if not tenant.is_active:
                raise TenantInactive()
            role = await _role_of_tenant(session, held, role_id, target) if role_id else None
            account = await find_by_email(session, address)
            if account is not None and await is_member(session, target, account.id):
                raise InviteeAlreadyMember(field="email")
            await _retire_expired_or_refuse(session, tenant_id=target, email_key=key, now=now)
            invitation = Invitation(
                tenant_id=target,
                email=address,
                email_key=key,
                role_id=role.id if role else None,
                message=text,
                token_hash=digest,
                status=InvitationStatus.PENDING,
                invited_by=principal.user_id,
                resend_count=0,
                last_sent_at=now,
                expires_at=now + timedelta(days=days),
                created_at=now,
                updated_at=now,
            )
            session.add(invitation)
            await session.flush()
            await mail_invitation(session, deps, invitation=invitation, raw=raw, now=now)
            audit.record(
                session,
                event_type=EventType.INVITATION_CREATED,
                now=now,
                meta=principal.meta,
                actor_id=principal.user_id,
                subject_id=account.id if account else None,
                resource="invitations",
                resource_id=str(invitation.id),
                tenant_id=target,
                details={
                    "email": address,
                    "role_id": str(role.id) if role else None,
                    "expires_in_days": days,
                },
            )
            created = await details_of(session, invitation.id, now)
    except IntegrityError as exc:  # a parallel invitation to the address won the race
        raise InvitationPending(field="email") from exc
    assert created is not None  # noqa: S101 (just stored)
    return created, raw


async def _retire_expired_or_refuse(
    session: AsyncSession, *, tenant_id: uuid.UUID, email_key: str, now: datetime
) -> None:
    pending = await session.scalar(
        select(Invitation)
        .where(
            col(Invitation.tenant_id) == tenant_id,
            col(Invitation.email_key) == email_key,
            col(Invitation.status) == InvitationStatus.PENDING.value,
        )
        .with_for_update()
    )
    if pending is None:
        return
    if status_at(pending, now) is InvitationStatus.PENDING:
        raise InvitationPending(field="email", details={"invitation_id": str(pending.id)})
    pending.status = InvitationStatus.EXPIRED
    pending.updated_at = now
    await session.flush()


async def list_invitations(
    deps: Deps,
    *,
    principal: Principal | None,
    status: InvitationStatus | None = None,
    tenant_id: uuid.UUID | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[InvitationDetails], int]:
    """The invitations within reach, newest first, and how many match in all."""
    reach = await tenancy.reach(deps, principal, MANAGE)
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise ValidationFailed(f"limit must be 1 to {MAX_PAGE}", field="limit")
    now = deps.clock.now()
    conditions = [reach.rows(Invitation)]
    if status is not None:
        conditions.append(with_status(status, now))
    if tenant_id is not None:
        conditions.append(col(Invitation.tenant_id) == tenant_id)
    async with deps.database.read() as session:
        total = await session.scalar(
            select(func.count()).select_from(Invitation).where(*conditions)
        )
        rows = await session.execute(
            details_query()
            .where(*conditions)
            .order_by(col(Invitation.created_at).desc(), col(Invitation.id))
            .offset(offset)
            .limit(limit)
        )
        found = [details_from(row, now) for row in rows.all()]
    return found, int(total or 0)


async def get_invitation(
    deps: Deps, *, principal: Principal | None, invitation_id: uuid.UUID
) -> InvitationDetails:
    reach = await tenancy.reach(deps, principal, MANAGE)
    now = deps.clock.now()
    async with deps.database.read() as session:
        found = await details_of(session, invitation_id, now)
    if found is None or not reach.covers(found.invitation.tenant_id):
        raise NotFound(NOT_FOUND)
    return found


async def _locked_in_reach(
    session: AsyncSession, principal: Principal, reach: tenancy.Reach, invitation_id: uuid.UUID
) -> Invitation:
    """The invitation, locked, if the caller's permission reaches it as this transaction
    sees the permission (after the lock); NotFound otherwise."""
    invitation = await session.get(
        Invitation, invitation_id, with_for_update=True, populate_existing=True
    )
    if invitation is None or not reach.covers(invitation.tenant_id):
        raise NotFound(NOT_FOUND)
    now_reach, _ = await tenancy.reach_now(session, principal, MANAGE)
    if not now_reach.covers(invitation.tenant_id):
        raise NotFound(NOT_FOUND)
    return invitation


async def revoke_invitation(
    deps: Deps, *, principal: Principal | None, invitation_id: uuid.UUID
) -> InvitationDetails:
    """Revoke a pending invitation: its token stops working at once."""
    reach = await tenancy.reach(deps, principal, MANAGE)
    assert principal is not None  # noqa: S101 (reach refused anonymous callers)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        invitation = await _locked_in_reach(session, principal, reach, invitation_id)
        if status_at(invitation, now) is not InvitationStatus.PENDING:
            raise InvitationNotPending(
                "Only a pending invitation can be revoked",
                details={"status": status_at(invitation, now).value},
            )
        invitation.status = InvitationStatus.REVOKED
        invitation.revoked_at = now
        invitation.updated_at = now
        audit.record(
            session,
            event_type=EventType.INVITATION_REVOKED,
            now=now,
            meta=principal.meta,
            actor_id=principal.user_id,
            resource="invitations",
            resource_id=str(invitation.id),
            tenant_id=invitation.tenant_id,
            details={"email": invitation.email},
        )
        await session.flush()
        revoked = await details_of(session, invitation.id, now)
    assert revoked is not None  # noqa: S101 (locked above)
    return revoked


async def resend_invitation(
    deps: Deps, *, principal: Principal | None, invitation_id: uuid.UUID
) -> tuple[InvitationDetails, str]:
    """Mail a pending invitation again with a new token (the old one stops working) and its
    validity restarted: as many days from now as it was first given. At most
    ``RESENDS_PER_DAY`` resends of one invitation in any 24 hours (409
    ``INVITATION_RESEND_LIMIT``)."""
    reach = await tenancy.reach(deps, principal, MANAGE)
    assert principal is not None  # noqa: S101 (reach refused anonymous callers)
    await request_budgets.charge_inviter(deps, principal)
    now = deps.clock.now()
    raw, digest = new_secret()
    async with deps.database.unit_of_work() as session:
        invitation = await _locked_in_reach(session, principal, reach, invitation_id)
        if status_at(invitation, now) is not InvitationStatus.PENDING:
            raise InvitationNotPending(
                "Only a pending, unexpired invitation can be resent",
                details={"status": status_at(invitation, now).value},
            )
        if await _resends_today(session, invitation, now) >= RESENDS_PER_DAY:
            raise InvitationResendLimit(details={"resends_per_day": RESENDS_PER_DAY})
        lifetime = invitation.expires_at - invitation.last_sent_at
        invitation.token_hash = digest
        invitation.resend_count += 1
        invitation.last_sent_at = now
        invitation.expires_at = now + lifetime
        invitation.updated_at = now
        await session.flush()
        await mail_invitation(session, deps, invitation=invitation, raw=raw, now=now)
        audit.record(
            session,
            event_type=EventType.INVITATION_RESENT,
            now=now,
            meta=principal.meta,
            actor_id=principal.user_id,
            resource="invitations",
            resource_id=str(invitation.id),
            tenant_id=invitation.tenant_id,
            details={"email": invitation.email, "resend_count": invitation.resend_count},
        )
        resent = await details_of(session, invitation.id, now)
    assert resent is not None  # noqa: S101 (locked above)
    return resent, raw


async def _resends_today(session: AsyncSession, invitation: Invitation, now: datetime) -> int:
    """Resends of the invitation in the last 24 hours, counted from their audit rows (the
    invitation's row lock keeps parallel resends in line)."""
    since = now - timedelta(days=1)
    counted = await session.scalar(
        select(func.count()).where(
            col(AuditEvent.event_type) == EventType.INVITATION_RESENT.value,
            col(AuditEvent.resource_id) == str(invitation.id),
            col(AuditEvent.created_at) > since,
        )
    )
    return int(counted or 0)
