"""The role every tenant is created with: ``admin``, scoped to the tenant.

A tenant admin is a member of the tenant who holds this role (a ``user_roles`` row); what
it grants reaches that tenant only (``tenancy.reach``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.models import PermissionRow, Role, RolePermission, User, UserRole
from identity.permissions import Permission

ADMIN_ROLE_NAME = "admin"
ADMIN_ROLE_DESCRIPTION = "Organization administrator: its members, roles, locations, invitations"
ADMIN_PERMISSIONS: tuple[Permission, ...] = (
    Permission.USERS_READ,
    Permission.USERS_WRITE,
    Permission.USERS_DELETE,
    Permission.USERS_LOCK,
    Permission.ROLES_READ,
    Permission.ROLES_WRITE,
    Permission.LOCATIONS_READ,
    Permission.LOCATIONS_WRITE,
    Permission.INVITATIONS_MANAGE,
    Permission.AUDIT_READ,
)


async def create_admin_role(session: AsyncSession, *, tenant_id: uuid.UUID, now: datetime) -> Role:
    """The tenant's ``admin`` role with ``ADMIN_PERMISSIONS`` (flushed)."""
    role = Role(
        name=ADMIN_ROLE_NAME,
        description=ADMIN_ROLE_DESCRIPTION,
        tenant_id=tenant_id,
        created_at=now,
        updated_at=now,
    )
    session.add(role)
    await session.flush()
    names = [str(one) for one in ADMIN_PERMISSIONS]
    ids = await session.scalars(
        select(col(PermissionRow.id)).where(col(PermissionRow.name).in_(names))
    )
    session.add_all(RolePermission(role_id=role.id, permission_id=one) for one in ids.all())
    await session.flush()
    return role


async def admin_role(session: AsyncSession, tenant_id: uuid.UUID) -> Role | None:
    """The tenant's ``admin`` role, when it still exists."""
    found = await session.scalars(
        select(Role).where(col(Role.tenant_id) == tenant_id, col(Role.name) == ADMIN_ROLE_NAME)
    )
    return found.first()


async def grant_admin(
    session: AsyncSession, *, tenant_id: uuid.UUID, user: User, now: datetime
) -> bool:
    """Give a member the tenant's admin role; False when they already hold it or it is gone."""
    role = await admin_role(session, tenant_id)
    if role is None or await session.get(UserRole, (user.id, role.id)) is not None:
        return False
    session.add(UserRole(user_id=user.id, role_id=role.id, created_at=now))
    await session.flush()
    return True
