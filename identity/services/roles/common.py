"""What the roles capability's modules share: limits, shapes, name and description rules,
reading roles and permissions by id, and the caller's hold on a role."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    SystemRoleProtected,
    ValidationFailed,
)
from identity.models import PermissionRow, Role, RolePermission
from identity.permissions import SUPERADMIN, SYSTEM_ROLES, USER, Permission
from identity.principal import Principal
from identity.services import access, tenancy, text_rules
from identity.services._kit import get_or_404
from identity.services.tenancy import Reach

MAX_NAME_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 500
MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class RoleDetails:
    """A role with the permissions it grants, ordered by name."""

    role: Role
    permissions: list[PermissionRow]


@dataclass(frozen=True, slots=True)
class RoleChanges:
    """What an update changes; None leaves a field as it is."""

    name: str | None = None
    description: str | None = None
    is_active: bool | None = None


def is_superadmin_role(role: Role) -> bool:
    return role.name == SUPERADMIN and role.tenant_id is None


def _is_user_role(role: Role) -> bool:
    return role.name == USER and role.tenant_id is None


def _clean_name(name: str) -> str:
    """The name as sent, trimmed, runs of spaces made one; a control or formatting character
    anywhere (tab and newline included) is refused, not cleaned away (``text_rules``)."""
    stripped = name.strip()
    if not stripped:
        raise ValidationFailed("A role needs a name", field="name")
    text_rules.clean_text(stripped, field="name", max_length=MAX_NAME_LENGTH)
    cleaned = " ".join(stripped.split())
    if cleaned.lower() in SYSTEM_ROLES:
        raise Conflict(f"'{cleaned}' is the name of a system role", field="name")
    return cleaned


def _clean_description(description: str | None) -> str | None:
    return text_rules.optional_text(
        description, field="description", max_length=MAX_DESCRIPTION_LENGTH
    )


async def _ensure_name_free(
    session: AsyncSession, name: str, tenant_id: uuid.UUID | None, *, exclude: uuid.UUID | None
) -> None:
    """Names are unique per tenant, ignoring case (the table's constraint cannot: NULL tenants)."""
    tenant = (
        col(Role.tenant_id).is_(None) if tenant_id is None else col(Role.tenant_id) == tenant_id
    )
    taken = await session.scalar(
        select(col(Role.id)).where(
            func.lower(col(Role.name)) == name.lower(), tenant, col(Role.id) != exclude
        )
    )
    if taken is not None:
        raise Conflict(f"A role named '{name}' already exists", field="name")


async def _role(
    session: AsyncSession,
    role_id: uuid.UUID,
    *,
    lock: bool = False,
    reach: Reach | None = None,
    write: bool = False,
) -> Role:
    """The role, when within ``reach``: a role of another tenant is not found; a global role
    is read by a tenant's administrator (the roles they see) but not changed
    (``write``)."""
    role = await get_or_404(
        session, Role, role_id, message="Role not found", field="role_id", lock=lock
    )
    if reach is not None:
        ensure_within(reach, [role], write=write)
    return role


def ensure_within(reach: Reach, roles: Sequence[Role], *, write: bool) -> None:
    """Roles of another tenant are not found; global ones are refused to a tenant's
    administrator when ``write`` (changing them, or handing them out, reaches every
    tenant)."""
    if reach.everywhere:
        return
    if any(role.tenant_id is not None and role.tenant_id != reach.tenant_id for role in roles):
        raise NotFound("Role not found", field="role_id")
    if write and any(role.tenant_id is None for role in roles):
        raise PermissionDenied("A tenant's administrator manages the roles of their tenant only")


def _changeable(role: Role) -> Role:
    if role.is_system:
        raise SystemRoleProtected(
            f"'{role.name}' is a system role: it cannot be changed or deleted"
        )
    return role


async def permissions_by_role(
    session: AsyncSession, role_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[PermissionRow]]:
    """Each role's permissions, by name, in one statement."""
    found: dict[uuid.UUID, list[PermissionRow]] = defaultdict(list)
    ids = list(dict.fromkeys(role_ids))
    if ids:
        rows = await session.execute(
            select(col(RolePermission.role_id), PermissionRow)
            .join(PermissionRow, col(PermissionRow.id) == col(RolePermission.permission_id))
            .where(col(RolePermission.role_id).in_(ids))
            .order_by(col(PermissionRow.name))
        )
        for role_id, permission in rows:
            found[role_id].append(permission)
    return {role_id: found[role_id] for role_id in ids}


permissions_of_roles = permissions_by_role


async def _details(session: AsyncSession, roles: Sequence[Role]) -> list[RoleDetails]:
    granted = await permissions_by_role(session, [role.id for role in roles])
    return [RoleDetails(role, granted[role.id]) for role in roles]


async def _permissions(
    session: AsyncSession, permission_ids: Sequence[uuid.UUID]
) -> list[PermissionRow]:
    """The permissions named, every one of them; NotFound lists the unknown ids."""
    ids = list(dict.fromkeys(permission_ids))
    if not ids:
        raise ValidationFailed("Name at least one permission", field="permission_ids")
    rows = list(
        (await session.scalars(select(PermissionRow).where(col(PermissionRow.id).in_(ids)))).all()
    )
    missing = set(ids) - {row.id for row in rows}
    if missing:
        raise NotFound(
            "Permission not found",
            field="permission_ids",
            details={"missing": sorted(str(one) for one in missing)},
        )
    return sorted(rows, key=lambda row: row.name)


async def _roles(session: AsyncSession, role_ids: Sequence[uuid.UUID]) -> list[Role]:
    ids = list(dict.fromkeys(role_ids))
    if not ids:
        raise ValidationFailed("Name at least one role", field="role_ids")
    rows = list((await session.scalars(select(Role).where(col(Role.id).in_(ids)))).all())
    missing = set(ids) - {row.id for row in rows}
    if missing:
        raise NotFound(
            "Role not found",
            field="role_ids",
            details={"missing": sorted(str(one) for one in missing)},
        )
    return sorted(rows, key=lambda row: row.name)


async def _own(
    session: AsyncSession, caller: Principal, role_id: uuid.UUID, what: str
) -> tuple[Role, Reach, frozenset[str]]:
    """The role, locked and changeable, when the caller holds roles:write now, reaching it,
    and every permission it grants; with where the caller reaches and what they hold."""
    role = await _role(session, role_id, lock=True)
    reach, held = await tenancy.reach_now(session, caller, Permission.ROLES_WRITE)
    ensure_within(reach, [role], write=True)
    _changeable(role)
    access.no_escalation(held, await access.role_permission_names(session, [role.id]), what)
    return role, reach, held
