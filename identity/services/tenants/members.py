"""A tenant's members as administrators manage them: add, remove, list.

Access: ``users:write`` (add, remove) or ``users:read`` (list) reaching the tenant: a
tenant admin for their own tenant, a global grant for every tenant. A user is within reach
when the permission reaches everywhere or the user already belongs to the tenant reached; so
a tenant admin cannot pull an account of the installation into their tenant by its id (it is
not theirs to see: 404), they invite its address instead. Joining goes through
``membership.join`` under the tenant's row lock (``max_users``: 409 ``TENANT_FULL``); an
inactive tenant takes nobody (409 ``TENANT_INACTIVE``). Removing a member ends the
sessions they have acting in the tenant.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import NotFound, TenantInactive
from identity.models import TenantMember, User
from identity.permissions import Permission
from identity.principal import Principal
from identity.services import audit
from identity.services._kit import Page, PageRequest
from identity.services.deps import Deps
from identity.services.tenants.common import (
    MAX_PAGE,
    NOT_FOUND,
    end_tenant_sessions,
    reached,
    tenant_in_reach,
)
from identity.services.tenants.membership import is_member, join, leave, locked_tenant
from identity.services.tenants.membership import member_count as count_members


@dataclass(frozen=True, slots=True)
class Member:
    """A member of a tenant: the account and when it joined."""

    user: User
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class MembersKey:
    """One page of a tenant's members: ``limit`` after the first ``offset``."""

    tenant_id: uuid.UUID
    offset: int
    limit: int


@dataclass(frozen=True, slots=True)
class MemberChange:
    """The outcome of adding or removing: whether anything changed, and the account."""

    user: User
    changed: bool
    sessions_ended: int = 0


async def _user_in_reach(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, *, everywhere: bool
) -> User:
    user = await session.get(User, user_id)
    if user is None or not (everywhere or await is_member(session, tenant_id, user_id)):
        raise NotFound("User not found", field="user_id")
    return user


async def add_member(
    deps: Deps, *, principal: Principal | None, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> MemberChange:
    """Make the user a member; ``changed`` is False when they already were one."""
    principal, reach = await reached(deps, principal, Permission.USERS_WRITE)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        if not reach.covers(tenant_id):
            raise NotFound(NOT_FOUND, field="tenant_id")
        tenant = await locked_tenant(session, tenant_id)
        user = await _user_in_reach(session, tenant_id, user_id, everywhere=reach.everywhere)
        if not tenant.is_active:
            raise TenantInactive(field="tenant_id")
        if not await join(session, tenant=tenant, user=user, now=now):
            return MemberChange(user, changed=False)
        audit.record(
            session,
            event_type=EventType.TENANT_MEMBER_ADDED,
            now=now,
            meta=principal.meta,
            actor_id=principal.user_id,
            subject_id=user.id,
            resource="tenants",
            resource_id=str(tenant.id),
            tenant_id=tenant.id,
        )
        return MemberChange(user, changed=True)


async def remove_member(
    deps: Deps, *, principal: Principal | None, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> MemberChange:
    """End a membership (with the roles and locations the user had in the tenant) and the
    sessions the user has acting in it; NotFound when they were not a member."""
    principal, reach = await reached(deps, principal, Permission.USERS_WRITE)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        tenant = await tenant_in_reach(session, reach, tenant_id, lock=True)
        user = await session.get(User, user_id)
        if user is None or not await leave(session, tenant_id=tenant.id, user=user):
            raise NotFound("User is not a member of this organization", field="user_id")
        ended = await end_tenant_sessions(
            session, tenant_id=tenant.id, user_id=user.id, now=now, reason="tenant_member_removed"
        )
        audit.record(
            session,
            event_type=EventType.TENANT_MEMBER_REMOVED,
            now=now,
            meta=principal.meta,
            actor_id=principal.user_id,
            subject_id=user.id,
            resource="tenants",
            resource_id=str(tenant.id),
            tenant_id=tenant.id,
            details={"sessions_ended": ended},
        )
        return MemberChange(user, changed=True, sessions_ended=ended)


async def list_members(
    deps: Deps,
    *,
    principal: Principal | None,
    tenant_id: uuid.UUID,
    offset: int = 0,
    limit: int = 20,
) -> Page[Member]:
    """A page of the tenant's members, the earliest joined first, with their total."""
    _, reach = await reached(deps, principal, Permission.USERS_READ)
    page = PageRequest.clamped(offset, limit, max_limit=MAX_PAGE)
    async with deps.database.read() as session:
        tenant = await tenant_in_reach(session, reach, tenant_id)
        total = await count_members(session, tenant.id)
        rows = await session.execute(
            select(User, col(TenantMember.joined_at))
            .join(TenantMember, col(TenantMember.user_id) == col(User.id))
            .where(col(TenantMember.tenant_id) == tenant.id)
            .order_by(col(TenantMember.joined_at), col(User.id))
            .offset(page.offset)
            .limit(page.limit)
        )
        items = [Member(user, joined_at) for user, joined_at in rows.all()]
    return Page(items=items, total=total, offset=page.offset, limit=page.limit)


async def member_pages(session: AsyncSession, keys: Sequence[MembersKey]) -> list[Page[Member]]:
    """Pages of several tenants' members in two statements, whatever their number (GraphQL's
    ``Tenant.members``). Callers check access first."""
    tenant_ids = list(dict.fromkeys(key.tenant_id for key in keys))
    if not tenant_ids:
        return []
    totals: dict[uuid.UUID, int] = {
        tenant_id: int(count)
        for tenant_id, count in await session.execute(
            select(col(TenantMember.tenant_id), func.count())
            .where(col(TenantMember.tenant_id).in_(tenant_ids))
            .group_by(col(TenantMember.tenant_id))
        )
    }
    ranked = (
        select(
            col(TenantMember.tenant_id).label("tenant_id"),
            col(TenantMember.user_id).label("user_id"),
            col(TenantMember.joined_at).label("joined_at"),
            func.row_number()
            .over(
                partition_by=col(TenantMember.tenant_id),
                order_by=(col(TenantMember.joined_at), col(TenantMember.user_id)),
            )
            .label("position"),
        )
        .where(col(TenantMember.tenant_id).in_(tenant_ids))
        .subquery()
    )
    wanted = [
        and_(
            ranked.c.tenant_id == key.tenant_id,
            ranked.c.position > key.offset,
            ranked.c.position <= key.offset + key.limit,
        )
        for key in keys
    ]
    rows = await session.execute(
        select(ranked.c.tenant_id, ranked.c.position, ranked.c.joined_at, User)
        .join(User, col(User.id) == ranked.c.user_id)
        .where(or_(*wanted))
        .order_by(ranked.c.tenant_id, ranked.c.position)
    )
    by_tenant: dict[uuid.UUID, list[tuple[int, Member]]] = defaultdict(list)
    for tenant_id, position, joined_at, user in rows:
        by_tenant[tenant_id].append((int(position), Member(user, joined_at)))
    return [
        Page(
            items=[
                member
                for position, member in by_tenant[key.tenant_id]
                if key.offset < position <= key.offset + key.limit
            ],
            total=totals.get(key.tenant_id, 0),
            offset=key.offset,
            limit=key.limit,
        )
        for key in keys
    ]
