"""Who may do what: effective permissions, decided here for GraphQL and REST alike.

A user's permissions are the union of those of the primary role (``users.role``), of the
roles in ``user_roles`` (active ones only) and of direct grants; the super-admin role holds
every permission, including custom ones created later. Permissions are read from the
database on each check, so a revoked permission stops working at once, whatever the
access token's ``permissions`` claim still says.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, bindparam, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.errors import AuthenticationRequired, PermissionDenied
from identity.models import PermissionRow, Role, RolePermission, User, UserPermission, UserRole
from identity.permissions import SUPERADMIN, Permission
from identity.principal import Principal
from identity.services.deps import Deps


def _permissions_statement() -> Any:
    """(user_id, permission name, holds every permission) for the users ``:ids``.

    Built once with an expanding parameter: constructing it costs as much as running it.
    """
    ids: Any = bindparam("ids", expanding=True)
    primary: Any = (
        select(col(User.id).label("user_id"), col(Role.id).label("role_id"), col(Role.name))
        .join(Role, and_(col(Role.name) == col(User.role), col(Role.tenant_id).is_(None)))
        .where(col(User.id).in_(ids), col(Role.is_active))
    )
    extra = (
        select(col(UserRole.user_id), col(UserRole.role_id), col(Role.name))
        .join(Role, col(Role.id) == col(UserRole.role_id))
        .where(col(UserRole.user_id).in_(ids), col(Role.is_active))
    )
    held = union_all(primary, extra).subquery()
    through_roles = (
        select(held.c.user_id, col(PermissionRow.name), (held.c.name == SUPERADMIN).label("all"))
        .select_from(held)
        .outerjoin(RolePermission, col(RolePermission.role_id) == held.c.role_id)
        .outerjoin(PermissionRow, col(PermissionRow.id) == col(RolePermission.permission_id))
    )
    direct = (
        select(col(UserPermission.user_id), col(PermissionRow.name), literal(False).label("all"))
        .join(PermissionRow, col(PermissionRow.id) == col(UserPermission.permission_id))
        .where(col(UserPermission.user_id).in_(ids))
    )
    return union_all(through_roles, direct)


_PERMISSIONS = _permissions_statement()


async def effective_permissions(
    session: AsyncSession, user_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, frozenset[str]]:
    """Each user's permission names, in one statement whatever the number of users
    (and one more when a super-admin is among them)."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    found: dict[uuid.UUID, set[str]] = defaultdict(set)
    everything: set[uuid.UUID] = set()
    for user_id, name, holds_all in await session.execute(_PERMISSIONS, {"ids": ids}):
        if name is not None:
            found[user_id].add(name)
        if holds_all:
            everything.add(user_id)
    if everything:
        names = set((await session.scalars(select(col(PermissionRow.name)))).all())
        for user_id in everything:
            found[user_id] = names
    return {user_id: frozenset(found.get(user_id, ())) for user_id in ids}


async def permissions_of(deps: Deps, user_id: uuid.UUID) -> frozenset[str]:
    async with deps.database.read() as session:
        return (await effective_permissions(session, [user_id]))[user_id]


async def require(deps: Deps, principal: Principal | None, permission: Permission) -> Principal:
    """The caller if they hold ``permission`` now; PermissionDenied otherwise."""
    if principal is None:
        raise AuthenticationRequired()
    if permission.value not in await permissions_of(deps, principal.user_id):
        raise PermissionDenied(f"Requires the {permission.value} permission")
    return principal
