"""Roles themselves: list, read, create, rename or describe or switch on and off, delete."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import Conflict, NotFound
from identity.models import PermissionRow, Role, RolePermission, Tenant, User
from identity.permissions import Permission
from identity.principal import Principal
from identity.services import access, audit, authorization, tenancy, text_rules
from identity.services._kit import PageRequest
from identity.services.deps import Deps
from identity.services.roles.common import (
    MAX_PAGE,
    RoleChanges,
    RoleDetails,
    _clean_description,
    _clean_name,
    _details,
    _ensure_name_free,
    _own,
    _permissions,
    _role,
    permissions_by_role,
)


async def list_roles(
    deps: Deps,
    *,
    principal: Principal | None,
    search: str | None = None,
    is_active: bool | None = None,
    offset: int = 0,
    limit: int = 100,
) -> list[RoleDetails]:
    """Roles by name, optionally those whose name or description holds ``search``. A
    tenant's administrator sees their tenant's roles and the global ones."""
    reach = await tenancy.reach(deps, principal, Permission.ROLES_READ)
    statement = select(Role).order_by(col(Role.name), col(Role.id))
    if not reach.everywhere:
        statement = tenancy.scoped(statement, Role, reach.tenant_id, with_global=True)
    term = text_rules.search_term(search)
    if term:
        statement = statement.where(
            or_(
                func.lower(col(Role.name)).contains(term, autoescape=True),
                func.lower(func.coalesce(col(Role.description), "")).contains(
                    term, autoescape=True
                ),
            )
        )
    if is_active is not None:
        statement = statement.where(col(Role.is_active) == is_active)
    statement = PageRequest.clamped(offset, limit, max_limit=MAX_PAGE).apply(statement)
    async with deps.database.read() as session:
        roles = list((await session.scalars(statement)).all())
        return await _details(session, roles)


async def get_role(deps: Deps, *, principal: Principal | None, role_id: uuid.UUID) -> RoleDetails:
    reach = await tenancy.reach(deps, principal, Permission.ROLES_READ)
    async with deps.database.read() as session:
        role = await _role(session, role_id, reach=reach)
        return (await _details(session, [role]))[0]


async def create_role(
    deps: Deps,
    *,
    principal: Principal | None,
    name: str,
    description: str | None = None,
    is_active: bool = True,
    tenant_id: uuid.UUID | None = None,
    permission_ids: Sequence[uuid.UUID] = (),
) -> RoleDetails:
    """A role; with ``tenant_id`` (seed 003) one of that tenant. A tenant's administrator's
    roles are their tenant's (another tenant named is not found)."""
    caller = await authorization.require(deps, principal, Permission.ROLES_WRITE)
    name = _clean_name(name)
    description = _clean_description(description)
    now = deps.clock.now()
    try:
        async with deps.database.unit_of_work() as session:
            reach, held = await tenancy.reach_now(session, caller, Permission.ROLES_WRITE)
            if not reach.everywhere:
                if tenant_id is not None and tenant_id != reach.tenant_id:
                    raise NotFound("Organization not found", field="tenant_id")
                tenant_id = reach.tenant_id
            elif tenant_id is not None and await session.get(Tenant, tenant_id) is None:
                raise NotFound("Organization not found", field="tenant_id")
            await _ensure_name_free(session, name, tenant_id, exclude=None)
            granted: list[PermissionRow] = []
            if permission_ids:
                granted = await _permissions(session, permission_ids)
                access.no_escalation(
                    held, (row.name for row in granted), "Granting these permissions"
                )
            role = Role(
                name=name,
                description=description,
                is_active=is_active,
                is_system=False,
                tenant_id=tenant_id,
                created_at=now,
                updated_at=now,
            )
            session.add(role)
            await session.flush()
            session.add_all(
                RolePermission(role_id=role.id, permission_id=row.id) for row in granted
            )
            audit.record(
                session,
                event_type=EventType.ROLE_CREATED,
                now=now,
                meta=caller.meta,
                actor_id=caller.user_id,
                resource="roles",
                resource_id=str(role.id),
                details={
                    "name": name,
                    "is_active": is_active,
                    "permissions": [row.name for row in granted],
                },
                tenant_id=tenant_id,
            )
    except IntegrityError as exc:
        raise Conflict(f"A role named '{name}' already exists", field="name") from exc
    return RoleDetails(role, granted)


async def update_role(
    deps: Deps, *, principal: Principal | None, role_id: uuid.UUID, changes: RoleChanges
) -> RoleDetails:
    """Rename, describe, activate or deactivate a role; a rename follows its holders."""
    caller = await authorization.require(deps, principal, Permission.ROLES_WRITE)
    name = _clean_name(changes.name) if changes.name is not None else None
    now = deps.clock.now()
    try:
        async with deps.database.unit_of_work() as session:
            role, _, _ = await _own(session, caller, role_id, "Changing this role")
            old = {"name": role.name, "description": role.description, "is_active": role.is_active}
            if name is not None and name != role.name:
                await _ensure_name_free(session, name, role.tenant_id, exclude=role.id)
                role.name = name  # holders refer to the role by id: they follow
            if changes.description is not None:
                role.description = _clean_description(changes.description)
            if changes.is_active is not None:
                role.is_active = changes.is_active
            role.updated_at = now
            new = {"name": role.name, "description": role.description, "is_active": role.is_active}
            audit.record(
                session,
                event_type=EventType.ROLE_UPDATED,
                now=now,
                meta=caller.meta,
                actor_id=caller.user_id,
                resource="roles",
                resource_id=str(role.id),
                details={"old": old, "new": new},
                tenant_id=role.tenant_id,
            )
            return (await _details(session, [role]))[0]
    except IntegrityError as exc:
        raise Conflict("A role with that name already exists", field="name") from exc


async def delete_role(deps: Deps, *, principal: Principal | None, role_id: uuid.UUID) -> None:
    """Delete a custom role; refused while it is some account's primary role."""
    caller = await authorization.require(deps, principal, Permission.ROLES_WRITE)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        role, _, _ = await _own(session, caller, role_id, "Deleting this role")
        primary = await session.scalar(
            select(func.count()).select_from(User).where(col(User.role_id) == role.id)
        )
        if primary:
            raise Conflict(
                f"'{role.name}' is the primary role of {primary} account(s): "
                "give them another role first",
                field="role_id",
                details={"primary_holders": primary},
            )
        granted = await permissions_by_role(session, [role.id])
        await session.delete(role)
        audit.record(
            session,
            event_type=EventType.ROLE_DELETED,
            now=now,
            meta=caller.meta,
            actor_id=caller.user_id,
            resource="roles",
            resource_id=str(role.id),
            details={"name": role.name, "permissions": [row.name for row in granted[role.id]]},
            tenant_id=role.tenant_id,
        )
