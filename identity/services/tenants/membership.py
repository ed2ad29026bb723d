"""Joining and leaving a tenant: the one place members are added or removed.

Every path that adds a member (an administrator's assignment, an accepted invitation, a
registration into a tenant, a bulk import) calls ``join`` inside its own transaction.
``join`` locks the tenant row first, so parallel joins are counted one after the other and
``max_users`` cannot be exceeded (PostgreSQL: ``SELECT … FOR UPDATE``; SQLite: writers
already hold the database's write lock, ``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.errors import NotFound, TenantFull
from identity.models import Location, Role, Tenant, TenantMember, User, UserLocation, UserRole


async def locked_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    """The tenant, its row locked until the transaction ends; NotFound when there is none."""
    tenant = await session.get(Tenant, tenant_id, with_for_update=True, populate_existing=True)
    if tenant is None:
        raise NotFound("Organization not found", field="tenant_id")
    return tenant


async def member_count(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    counted = select(func.count()).where(col(TenantMember.tenant_id) == tenant_id)
    return int(await session.scalar(counted) or 0)


async def is_member(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    return await session.get(TenantMember, (tenant_id, user_id)) is not None


async def join(session: AsyncSession, *, tenant: Tenant, user: User, now: datetime) -> bool:
    """Make ``user`` a member of ``tenant`` (locked with ``locked_tenant`` in this
    transaction); TenantFull when it has no room. The first tenant a user joins becomes their
    primary tenant. False when they already were a member (nothing changes)."""
    if await is_member(session, tenant.id, user.id):
        return False
    if tenant.max_users is not None and await member_count(session, tenant.id) >= tenant.max_users:
        raise TenantFull(details={"max_users": tenant.max_users})
    session.add(TenantMember(tenant_id=tenant.id, user_id=user.id, joined_at=now))
    if user.primary_tenant_id is None:
        user.primary_tenant_id = tenant.id
    await session.flush()
    return True


async def leave(session: AsyncSession, *, tenant_id: uuid.UUID, user: User) -> bool:
    """End ``user``'s membership of the tenant: the roles they hold there and their locations
    there go with it, and their primary tenant becomes another of theirs (the earliest
    joined) or none. False when they were not a member."""
    gone = await session.execute(
        delete(TenantMember).where(
            col(TenantMember.tenant_id) == tenant_id, col(TenantMember.user_id) == user.id
        )
    )
    if not gone.rowcount:  # type: ignore[attr-defined]
        return False
    tenant_roles = select(col(Role.id)).where(col(Role.tenant_id) == tenant_id)
    await session.execute(
        delete(UserRole).where(
            col(UserRole.user_id) == user.id, col(UserRole.role_id).in_(tenant_roles)
        )
    )
    tenant_locations = select(col(Location.id)).where(col(Location.tenant_id) == tenant_id)
    await session.execute(
        delete(UserLocation).where(
            col(UserLocation.user_id) == user.id,
            col(UserLocation.location_id).in_(tenant_locations),
        )
    )
    if user.primary_tenant_id == tenant_id:
        user.primary_tenant_id = await session.scalar(
            select(col(TenantMember.tenant_id))
            .where(col(TenantMember.user_id) == user.id)
            .order_by(col(TenantMember.joined_at), col(TenantMember.tenant_id))
            .limit(1)
        )
    await session.flush()
    return True


async def tenants_of(session: AsyncSession, user_id: uuid.UUID) -> list[Tenant]:
    """The tenants ``user_id`` belongs to, the earliest joined first."""
    rows = await session.scalars(
        select(Tenant)
        .join(TenantMember, col(TenantMember.tenant_id) == col(Tenant.id))
        .where(col(TenantMember.user_id) == user_id)
        .order_by(col(TenantMember.joined_at), col(Tenant.id))
    )
    return list(rows.all())
