"""The permission catalogue: the built-in permissions and custom ones administrators add.

Viewing the catalogue (``view_permissions``, ``grouped_permissions``, ``get_permission``) is
for every signed-in user (seed 004: "All authenticated users (view)"); the administrators'
listing (``list_permissions``, seed 003's ``/v1/admin/permissions``, "requires admin role")
needs ``permissions:read``. Creating, changing and deleting custom permissions needs
``permissions:write``, checked again inside the write's transaction. Deleting one also needs
holding it: it takes the permission from every role and account, which would open its
holders to the management of someone who lacks it (``services.access``). Built-in
permissions (``is_system``, those of ``identity.permissions``) cannot be changed or deleted:
the code checks for them by name.

A custom permission is granted to the super-admin role when it is created, so that role's
permissions, as listed, are every permission it holds.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import (
    AuthenticationRequired,
    Conflict,
    SystemPermissionProtected,
    ValidationFailed,
)
from identity.models import PermissionRow, Role, RolePermission
from identity.permissions import SUPERADMIN, Permission
from identity.principal import Principal
from identity.services import access, audit, authorization, text_rules
from identity.services._kit import get_or_404
from identity.services.deps import Deps

PART = re.compile(r"^[a-z][a-z0-9_.-]{0,49}$")
MAX_DESCRIPTION_LENGTH = 500


@dataclass(frozen=True, slots=True)
class PermissionChanges:
    """What an update changes; None leaves a field as it is."""

    name: str | None = None
    resource: str | None = None
    action: str | None = None
    description: str | None = None


def parse_name(
    name: str | None, resource: str | None = None, action: str | None = None
) -> tuple[str, str, str]:
    """``resource:action``, from the name or from its two parts, which must agree."""
    resource = resource.strip().lower() if resource else None
    action = action.strip().lower() if action else None
    if name is None or not name.strip():
        if not (resource and action):
            raise ValidationFailed("A permission needs a name (resource:action)", field="name")
        name = f"{resource}:{action}"
    name = name.strip().lower()
    given_resource, colon, given_action = name.partition(":")
    if not colon or not PART.match(given_resource) or not PART.match(given_action):
        raise ValidationFailed(
            "A permission's name is resource:action: lower-case letters, digits, '_', '.' or "
            "'-', each part starting with a letter and at most 50 characters",
            field="name",
        )
    if resource is not None and resource != given_resource:
        raise ValidationFailed(
            f"resource '{resource}' does not match the name '{name}'", field="resource"
        )
    if action is not None and action != given_action:
        raise ValidationFailed(
            f"action '{action}' does not match the name '{name}'", field="action"
        )
    return name, given_resource, given_action


def _clean_description(description: str | None) -> str | None:
    return text_rules.optional_text(
        description, field="description", max_length=MAX_DESCRIPTION_LENGTH
    )


async def _permission(
    session: AsyncSession, permission_id: uuid.UUID, *, lock: bool = False
) -> PermissionRow:
    return await get_or_404(
        session,
        PermissionRow,
        permission_id,
        message="Permission not found",
        field="permission_id",
        lock=lock,
    )


def _changeable(row: PermissionRow) -> PermissionRow:
    if row.is_system:
        raise SystemPermissionProtected(
            f"'{row.name}' is a built-in permission: it cannot be changed or deleted"
        )
    return row


async def _ensure_name_free(
    session: AsyncSession, name: str, *, exclude: uuid.UUID | None = None
) -> None:
    taken = await session.scalar(
        select(col(PermissionRow.id)).where(
            col(PermissionRow.name) == name, col(PermissionRow.id) != exclude
        )
    )
    if taken is not None:
        raise Conflict(f"A permission named '{name}' already exists", field="name")


def _signed_in(principal: Principal | None) -> None:
    if principal is None:
        raise AuthenticationRequired()


async def _matching(
    deps: Deps, *, search: str | None, resource: str | None, action: str | None
) -> list[PermissionRow]:
    """Permissions by name; ``search`` looks in names and descriptions."""
    statement = select(PermissionRow).order_by(col(PermissionRow.name))
    term = text_rules.search_term(search)
    if term:
        statement = statement.where(
            or_(
                col(PermissionRow.name).contains(term, autoescape=True),
                func.lower(func.coalesce(col(PermissionRow.description), "")).contains(
                    term, autoescape=True
                ),
            )
        )
    if resource and resource.strip():
        statement = statement.where(col(PermissionRow.resource) == resource.strip().lower())
    if action and action.strip():
        statement = statement.where(col(PermissionRow.action) == action.strip().lower())
    async with deps.database.read() as session:
        return list((await session.scalars(statement)).all())


async def view_permissions(
    deps: Deps,
    *,
    principal: Principal | None,
    search: str | None = None,
    resource: str | None = None,
    action: str | None = None,
) -> list[PermissionRow]:
    """Permissions by name, for every signed-in user; ``search`` looks in names and
    descriptions."""
    _signed_in(principal)
    return await _matching(deps, search=search, resource=resource, action=action)


async def list_permissions(
    deps: Deps,
    *,
    principal: Principal | None,
    search: str | None = None,
    resource: str | None = None,
    action: str | None = None,
) -> list[PermissionRow]:
    """Permissions by name, as administrators list them (seed 003): ``permissions:read``."""
    await authorization.require(deps, principal, Permission.PERMISSIONS_READ)
    return await _matching(deps, search=search, resource=resource, action=action)


async def grouped_permissions(
    deps: Deps,
    *,
    principal: Principal | None,
    search: str | None = None,
    resource: str | None = None,
    action: str | None = None,
) -> dict[str, list[PermissionRow]]:
    """Permissions grouped by resource, for every signed-in user; resources in alphabetical
    order."""
    rows = await view_permissions(
        deps, principal=principal, search=search, resource=resource, action=action
    )
    groups: dict[str, list[PermissionRow]] = defaultdict(list)
    for row in sorted(rows, key=lambda one: (one.resource, one.name)):
        groups[row.resource].append(row)
    return dict(groups)


async def get_permission(
    deps: Deps, *, principal: Principal | None, permission_id: uuid.UUID
) -> PermissionRow:
    """One permission, for every signed-in user."""
    _signed_in(principal)
    async with deps.database.read() as session:
        return await _permission(session, permission_id)


async def create_permission(
    deps: Deps,
    *,
    principal: Principal | None,
    name: str | None,
    resource: str | None = None,
    action: str | None = None,
    description: str | None = None,
) -> PermissionRow:
    caller = await authorization.require(deps, principal, Permission.PERMISSIONS_WRITE)
    name, resource, action = parse_name(name, resource, action)
    description = _clean_description(description)
    now = deps.clock.now()
    row = PermissionRow(
        name=name,
        resource=resource,
        action=action,
        description=description,
        is_system=False,
        created_at=now,
        updated_at=now,
    )
    try:
        async with deps.database.unit_of_work() as session:
            await access.held_now(session, caller, Permission.PERMISSIONS_WRITE)
            await _ensure_name_free(session, name)
            session.add(row)
            await session.flush()
            superadmin = await session.scalar(
                select(col(Role.id)).where(
                    col(Role.name) == SUPERADMIN, col(Role.tenant_id).is_(None)
                )
            )
            if superadmin is not None:
                session.add(RolePermission(role_id=superadmin, permission_id=row.id))
            audit.record(
                session,
                event_type=EventType.PERMISSION_CREATED,
                now=now,
                meta=caller.meta,
                actor_id=caller.user_id,
                resource="permissions",
                resource_id=str(row.id),
                details={"name": name, "description": description},
            )
    except IntegrityError as exc:
        raise Conflict(f"A permission named '{name}' already exists", field="name") from exc
    return row


async def update_permission(
    deps: Deps,
    *,
    principal: Principal | None,
    permission_id: uuid.UUID,
    changes: PermissionChanges,
) -> PermissionRow:
    """Rename or describe a custom permission; its grants follow it (they are by id)."""
    caller = await authorization.require(deps, principal, Permission.PERMISSIONS_WRITE)
    now = deps.clock.now()
    try:
        async with deps.database.unit_of_work() as session:
            row = _changeable(await _permission(session, permission_id, lock=True))
            await access.held_now(session, caller, Permission.PERMISSIONS_WRITE)
            old = {"name": row.name, "description": row.description}
            if changes.name or changes.resource or changes.action:
                name, resource, action = parse_name(
                    changes.name,
                    changes.resource or (None if changes.name else row.resource),
                    changes.action or (None if changes.name else row.action),
                )
                if name != row.name:
                    await _ensure_name_free(session, name, exclude=row.id)
                row.name, row.resource, row.action = name, resource, action
            if changes.description is not None:
                row.description = _clean_description(changes.description)
            row.updated_at = now
            audit.record(
                session,
                event_type=EventType.PERMISSION_UPDATED,
                now=now,
                meta=caller.meta,
                actor_id=caller.user_id,
                resource="permissions",
                resource_id=str(row.id),
                details={"old": old, "new": {"name": row.name, "description": row.description}},
            )
    except IntegrityError as exc:
        raise Conflict("A permission with that name already exists", field="name") from exc
    return row


async def delete_permission(
    deps: Deps, *, principal: Principal | None, permission_id: uuid.UUID
) -> None:
    """Delete a custom permission and every grant of it."""
    caller = await authorization.require(deps, principal, Permission.PERMISSIONS_WRITE)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        row = _changeable(await _permission(session, permission_id, lock=True))
        held = await access.held_now(session, caller, Permission.PERMISSIONS_WRITE)
        access.no_escalation(held, [row.name], "Deleting this permission")
        await session.delete(row)
        audit.record(
            session,
            event_type=EventType.PERMISSION_DELETED,
            now=now,
            meta=caller.meta,
            actor_id=caller.user_id,
            resource="permissions",
            resource_id=str(row.id),
            details={"name": row.name},
        )
