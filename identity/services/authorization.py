"""Who may do what: effective permissions, decided here for GraphQL and REST alike.

A user's permissions are the union of those of the roles they hold (``services.held``: the
primary role and those in ``user_roles``; active ones only) and of direct grants; the
super-admin role holds every permission, including custom ones created later. Permissions
are read from the database on each check, so a revoked permission stops working at once,
whatever the access token's ``permissions`` claim still says.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, String, Uuid, cast, exists, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.db import dialect_name, in_parameter
from identity.errors import AuthenticationRequired, PermissionDenied
from identity.models import PermissionRow, Role, RolePermission, UserPermission
from identity.permissions import SUPERADMIN, Permission
from identity.principal import Principal
from identity.services.deps import Deps
from identity.services.held import held_pairs


@dataclass(frozen=True, slots=True)
class Grants:
    """A user's effective permissions (roles and direct grants) and the direct grants alone,
    each also sorted by name. Users with the same roles and grants share one Grants: the
    sorted lists are shared too and must not be changed."""

    permissions: frozenset[str]
    direct: frozenset[str]
    ordered: list[str] = field(init=False, compare=False, repr=False)
    ordered_direct: list[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ordered", sorted(self.permissions))
        object.__setattr__(self, "ordered_direct", sorted(self.direct))


@cache
def _grants_statement(dialect: str, inactive_roles: bool = False) -> Any:
    """Rows (user_id, role_id, role name, permission name) for the users ``:ids``: one per
    role held (no permission), one per direct grant (no role), one per permission of each
    role held (no user), and, when one of them is a super-admin, one per permission there
    is (neither). Rows grow with roles, not with users times permissions. With
    ``inactive_roles`` the roles held include inactive ones.

    Built once per dialect and variant: constructing it costs as much as running it.
    """

    def held_by(column: Any) -> ColumnElement[bool]:
        return in_parameter(column, "ids", dialect)

    no_name: Any = cast(null(), String)
    counted: list[Any] = [] if inactive_roles else [col(Role.is_active)]
    pairs = held_pairs(users=held_by).subquery("pairs")
    held = (
        select(pairs.c.user_id, pairs.c.role_id, col(Role.name))
        .join(Role, col(Role.id) == pairs.c.role_id)
        .where(*counted)
        .cte("held")
    )
    roles_held = select(held.c.user_id, held.c.role_id, held.c.name, no_name.label("permission"))
    of_roles = (
        select(
            cast(null(), Uuid).label("user_id"),
            col(RolePermission.role_id),
            no_name,
            col(PermissionRow.name),
        )
        .join(PermissionRow, col(PermissionRow.id) == col(RolePermission.permission_id))
        .where(col(RolePermission.role_id).in_(select(held.c.role_id)))
    )
    direct = (
        select(col(UserPermission.user_id), cast(null(), Uuid), no_name, col(PermissionRow.name))
        .join(PermissionRow, col(PermissionRow.id) == col(UserPermission.permission_id))
        .where(held_by(col(UserPermission.user_id)))
    )
    every = select(cast(null(), Uuid), cast(null(), Uuid), no_name, col(PermissionRow.name)).where(
        exists().where(held.c.name == SUPERADMIN)
    )
    return union_all(roles_held, of_roles, direct, every)


async def grants(
    session: AsyncSession, user_ids: Iterable[uuid.UUID], *, inactive_roles: bool = False
) -> dict[uuid.UUID, Grants]:
    """Each user's effective permissions and direct grants, in one statement whatever the
    number of users. Users holding the same roles and grants share one Grants.

    ``inactive_roles`` also counts the roles that are switched off: what an account would
    hold were they switched on again, which is what decides who may manage it.
    """
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    roles_of: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    direct: dict[uuid.UUID, set[str]] = defaultdict(set)
    of_role: dict[uuid.UUID, set[str]] = defaultdict(set)
    everything: set[uuid.UUID] = set()
    every_name: set[str] = set()
    for user_id, role_id, role_name, permission in await session.execute(
        _grants_statement(dialect_name(session), inactive_roles), {"ids": ids}
    ):
        if user_id is None and role_id is None:
            every_name.add(permission)
        elif user_id is None:
            of_role[role_id].add(permission)
        elif role_id is None:
            direct[user_id].add(permission)
        else:
            roles_of[user_id].add(role_id)
            if role_name == SUPERADMIN:
                everything.add(user_id)
    all_names = frozenset(every_name)
    shared: dict[tuple[frozenset[uuid.UUID], frozenset[str]], Grants] = {}
    found: dict[uuid.UUID, Grants] = {}
    for user_id in ids:
        held_roles = frozenset(roles_of.get(user_id, ()))
        key = (held_roles, frozenset(direct.get(user_id, ())))
        held = shared.get(key)
        if held is None:
            names: set[str] = set(key[1])
            for role_id in held_roles:
                names |= of_role.get(role_id, set())
            held = shared[key] = Grants(
                all_names if user_id in everything else frozenset(names), key[1]
            )
        found[user_id] = held
    return found


async def effective_permissions(
    session: AsyncSession, user_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, frozenset[str]]:
    """Each user's permission names (see ``grants``)."""
    return {
        user_id: held.permissions for user_id, held in (await grants(session, user_ids)).items()
    }


async def permissions_of(deps: Deps, user_id: uuid.UUID) -> frozenset[str]:
    async with deps.database.read() as session:
        return (await effective_permissions(session, [user_id]))[user_id]


async def require(deps: Deps, principal: Principal | None, permission: Permission) -> Principal:
    """The caller if they hold ``permission``; PermissionDenied otherwise. The principal reads
    its permissions once per request; writes check again in their transaction."""
    if principal is None:
        raise AuthenticationRequired()
    if permission.value not in await principal.permissions():
        raise PermissionDenied(f"Requires the {permission.value} permission")
    return principal
