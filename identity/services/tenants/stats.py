"""A tenant's figures (``GET /v1/tenants/{id}/stats``, GraphQL ``Tenant.stats``).

- members: every membership; active members: those whose account may log in (active, not
  locked or deactivated);
- active sessions: sessions acting in the tenant, neither revoked nor expired;
- logins in the last 30 days: ``login.succeeded`` audit rows carrying the tenant (a login
  records the tenant it chose), so logins whose sessions have ended since still count;
- pending invitations: pending and not yet expired.

Access: ``tenants:read`` reaching the tenant (as reading the tenant itself).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.models import (
    AuditEvent,
    AuthSession,
    Invitation,
    InvitationStatus,
    TenantMember,
    User,
    UserStatus,
)
from identity.permissions import Permission
from identity.principal import Principal
from identity.services.deps import Deps
from identity.services.tenants.common import reached_record, tenant_in_reach

LOGIN_WINDOW = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class TenantStats:
    tenant_id: uuid.UUID
    members: int
    active_members: int
    active_sessions: int
    logins_last_30_days: int
    pending_invitations: int


async def stats_of(
    session: AsyncSession, tenant_ids: Sequence[uuid.UUID], *, now: datetime
) -> dict[uuid.UUID, TenantStats]:
    """The figures of several tenants in five statements, whatever their number."""
    ids = list(dict.fromkeys(tenant_ids))
    if not ids:
        return {}

    async def counted(statement: object) -> dict[uuid.UUID, int]:
        rows = await session.execute(statement)  # type: ignore[call-overload]
        return {tenant_id: int(count) for tenant_id, count in rows.all()}

    members = await counted(
        select(col(TenantMember.tenant_id), func.count())
        .where(col(TenantMember.tenant_id).in_(ids))
        .group_by(col(TenantMember.tenant_id))
    )
    active = await counted(
        select(col(TenantMember.tenant_id), func.count())
        .join(User, col(User.id) == col(TenantMember.user_id))
        .where(
            col(TenantMember.tenant_id).in_(ids),
            col(User.is_active),
            col(User.status) == UserStatus.ACTIVE,
        )
        .group_by(col(TenantMember.tenant_id))
    )
    sessions = await counted(
        select(col(AuthSession.tenant_id), func.count())
        .where(
            col(AuthSession.tenant_id).in_(ids),
            col(AuthSession.revoked_at).is_(None),
            col(AuthSession.expires_at) > now,
        )
        .group_by(col(AuthSession.tenant_id))
    )
    logins = await counted(
        select(col(AuditEvent.tenant_id), func.count())
        .where(
            col(AuditEvent.tenant_id).in_(ids),
            col(AuditEvent.event_type) == EventType.LOGIN_SUCCEEDED.value,
            col(AuditEvent.created_at) >= now - LOGIN_WINDOW,
        )
        .group_by(col(AuditEvent.tenant_id))
    )
    pending = await counted(
        select(col(Invitation.tenant_id), func.count())
        .where(
            col(Invitation.tenant_id).in_(ids),
            col(Invitation.status) == InvitationStatus.PENDING,
            col(Invitation.expires_at) > now,
        )
        .group_by(col(Invitation.tenant_id))
    )
    return {
        tenant_id: TenantStats(
            tenant_id=tenant_id,
            members=members.get(tenant_id, 0),
            active_members=active.get(tenant_id, 0),
            active_sessions=sessions.get(tenant_id, 0),
            logins_last_30_days=logins.get(tenant_id, 0),
            pending_invitations=pending.get(tenant_id, 0),
        )
        for tenant_id in ids
    }


async def tenant_stats(
    deps: Deps, *, principal: Principal | None, tenant_id: uuid.UUID
) -> TenantStats:
    _, reach = await reached_record(deps, principal, Permission.TENANTS_READ, tenant_id)
    async with deps.database.read() as session:
        tenant = await tenant_in_reach(session, reach, tenant_id)
        return (await stats_of(session, [tenant.id], now=deps.clock.now()))[tenant.id]
