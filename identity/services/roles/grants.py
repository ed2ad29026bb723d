"""The permissions a role grants: read, grant, revoke (``roles:write`` and no escalation)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete
from sqlmodel import col

from identity.audit_events import EventType
from identity.models import PermissionRow, RolePermission
from identity.permissions import Permission
from identity.principal import Principal
from identity.services import access, audit, authorization, tenancy
from identity.services.deps import Deps
from identity.services.roles.common import (
    RoleDetails,
    _changeable,
    _details,
    _own,
    _permissions,
    _role,
    ensure_within,
    permissions_by_role,
)
from identity.services.roles.manage import get_role


async def role_permissions(
    deps: Deps, *, principal: Principal | None, role_id: uuid.UUID
) -> list[PermissionRow]:
    return (await get_role(deps, principal=principal, role_id=role_id)).permissions


async def grant_permissions(
    deps: Deps,
    *,
    principal: Principal | None,
    role_id: uuid.UUID,
    permission_ids: Sequence[uuid.UUID],
) -> RoleDetails:
    """Add permissions to a custom role; ones it already has are left as they are."""
    caller = await authorization.require(deps, principal, Permission.ROLES_WRITE)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        role = await _role(session, role_id, lock=True)
        reach, held = await tenancy.reach_now(session, caller, Permission.ROLES_WRITE)
        ensure_within(reach, [role], write=True)
        _changeable(role)
        wanted = await _permissions(session, permission_ids)
        access.no_escalation(held, (row.name for row in wanted), "Granting these permissions")
        have = {row.id for row in (await permissions_by_role(session, [role.id]))[role.id]}
        added = [row for row in wanted if row.id not in have]
        session.add_all(RolePermission(role_id=role.id, permission_id=row.id) for row in added)
        if added:
            role.updated_at = now
            audit.record(
                session,
                event_type=EventType.ROLE_PERMISSIONS_GRANTED,
                now=now,
                meta=caller.meta,
                actor_id=caller.user_id,
                resource="roles",
                resource_id=str(role.id),
                details={"role": role.name, "permissions": [row.name for row in added]},
                tenant_id=role.tenant_id,
            )
        await session.flush()
        return (await _details(session, [role]))[0]


async def revoke_permissions(
    deps: Deps,
    *,
    principal: Principal | None,
    role_id: uuid.UUID,
    permission_ids: Sequence[uuid.UUID],
) -> RoleDetails:
    """Take permissions from a custom role; holders lose them at their next request."""
    caller = await authorization.require(deps, principal, Permission.ROLES_WRITE)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        role, _, _ = await _own(session, caller, role_id, "Taking permissions from this role")
        unwanted = await _permissions(session, permission_ids)
        have = {row.id for row in (await permissions_by_role(session, [role.id]))[role.id]}
        removed = [row for row in unwanted if row.id in have]
        if removed:
            await session.execute(
                delete(RolePermission).where(
                    col(RolePermission.role_id) == role.id,
                    col(RolePermission.permission_id).in_([row.id for row in removed]),
                )
            )
            role.updated_at = now
            audit.record(
                session,
                event_type=EventType.ROLE_PERMISSIONS_REVOKED,
                now=now,
                meta=caller.meta,
                actor_id=caller.user_id,
                resource="roles",
                resource_id=str(role.id),
                details={"role": role.name, "permissions": [row.name for row in removed]},
                tenant_id=role.tenant_id,
            )
        return (await _details(session, [role]))[0]
