"""Who may do what: effective permissions, decided here for GraphQL and REST alike.

A user's permissions are the union of those of the roles they hold (``services.held``: the
primary role and those in ``user_roles``; active ones only) and of direct grants; the
super-admin role (the global one) holds every permission, including custom ones created
later. Permissions are read from the database on each check, so a revoked permission stops
working at once, whatever the access token's ``permissions`` claim still says.

Acting in a tenant (the session's active tenant), a user holds their *global* permissions
(direct grants and global roles, ``roles.tenant_id IS NULL``) plus those of the roles of
that tenant they hold, and the latter only while they are still a member of it. Roles of
any other tenant never count. ``Grants.everywhere`` keeps the global part apart:
``tenancy.reach`` tells from it whether a permission reaches every tenant or one.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    Uuid,
    bindparam,
    cast,
    exists,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.db import dialect_name, in_parameter
from identity.errors import AuthenticationRequired, PermissionDenied
from identity.models import PermissionRow, Role, RolePermission, TenantMember, UserPermission
from identity.permissions import SUPERADMIN, Permission
from identity.principal import Holding, Principal
from identity.services.deps import Deps
from identity.services.held import held_pairs


@dataclass(frozen=True, slots=True)
class Grants:
    """A user's effective permissions (roles and direct grants) and the direct grants alone,
    each also sorted by name, and the part held globally (direct grants, global roles).
    Users with the same roles and grants share one Grants: the sorted lists are shared too
    and must not be changed."""

    permissions: frozenset[str]
    direct: frozenset[str]
    everywhere: frozenset[str] = frozenset()
    ordered: list[str] = field(init=False, compare=False, repr=False)
    ordered_direct: list[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ordered", sorted(self.permissions))
        object.__setattr__(self, "ordered_direct", sorted(self.direct))


@cache
def _grants_statement(
    dialect: str, inactive_roles: bool = False, every_tenant: bool = False
) -> Any:
    """Rows (user_id, role_id, role name, permission name, role's tenant) for the users
    ``:ids``: one per role held (no permission), one per direct grant (no role), one per
    permission of each role held (no user), and, when one of them is the global super-admin
    role, one per permission there is (neither). Rows grow with roles, not with users times
    permissions. With ``inactive_roles`` the roles held include inactive ones.

    The roles held are the global ones and those of the tenant ``:tid`` the user is still a
    member of (none when ``:tid`` is NULL); ``every_tenant`` counts every role held, whatever
    its tenant (what decides who may manage an account).

    Built once per dialect and variant: constructing it costs as much as running it.
    """

    def held_by(column: Any) -> ColumnElement[bool]:
        return in_parameter(column, "ids", dialect)

    no_name: Any = cast(null(), String)
    no_tenant: Any = cast(null(), Uuid)
    counted: list[Any] = [] if inactive_roles else [col(Role.is_active)]
    pairs = held_pairs(users=held_by).subquery("pairs")
    if not every_tenant:
        member = exists().where(
            col(TenantMember.tenant_id) == col(Role.tenant_id),
            col(TenantMember.user_id) == pairs.c.user_id,
        )
        tenant = bindparam("tid", type_=Uuid())
        counted.append(or_(col(Role.tenant_id).is_(None), (col(Role.tenant_id) == tenant) & member))
    held = (
        select(pairs.c.user_id, pairs.c.role_id, col(Role.name), col(Role.tenant_id))
        .join(Role, col(Role.id) == pairs.c.role_id)
        .where(*counted)
        .cte("held")
    )
    roles_held = select(
        held.c.user_id, held.c.role_id, held.c.name, no_name.label("permission"), held.c.tenant_id
    )
    of_roles = (
        select(
            cast(null(), Uuid).label("user_id"),
            col(RolePermission.role_id),
            no_name,
            col(PermissionRow.name),
            no_tenant,
        )
        .join(PermissionRow, col(PermissionRow.id) == col(RolePermission.permission_id))
        .where(col(RolePermission.role_id).in_(select(held.c.role_id)))
    )
    direct = (
        select(
            col(UserPermission.user_id),
            cast(null(), Uuid),
            no_name,
            col(PermissionRow.name),
            no_tenant,
        )
        .join(PermissionRow, col(PermissionRow.id) == col(UserPermission.permission_id))
        .where(held_by(col(UserPermission.user_id)))
    )
    every = select(
        cast(null(), Uuid), cast(null(), Uuid), no_name, col(PermissionRow.name), no_tenant
    ).where(exists().where(held.c.name == SUPERADMIN, held.c.tenant_id.is_(None)))
    return union_all(roles_held, of_roles, direct, every)


async def grants(
    session: AsyncSession,
    user_ids: Iterable[uuid.UUID],
    *,
    tenant_id: uuid.UUID | None = None,
    inactive_roles: bool = False,
    every_tenant: bool = False,
) -> dict[uuid.UUID, Grants]:
    """Each user's effective permissions and direct grants acting in ``tenant_id`` (None: in
    no tenant, global ones only), in one statement whatever the number of users. Users
    holding the same roles and grants share one Grants.

    ``inactive_roles`` also counts the roles that are switched off and ``every_tenant`` the
    roles of every tenant: what an account would hold anywhere were they switched on again,
    which is what decides who may manage it.
    """
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    statement = _grants_statement(dialect_name(session), inactive_roles, every_tenant)
    parameters: dict[str, Any] = {"ids": ids}
    if not every_tenant:
        parameters["tid"] = tenant_id
    return grants_of_rows(ids, await session.execute(statement, parameters))


def grants_of_rows(ids: list[uuid.UUID], rows: Iterable[Any]) -> dict[uuid.UUID, Grants]:
    """``grants`` of the users ``ids`` from the rows (user, role, role name, permission,
    role's tenant) ``_grants_statement`` answered for them, read there or elsewhere (the
    login's one statement on the driver, ``auth.login_sql``)."""
    roles_of: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    global_roles: set[uuid.UUID] = set()
    direct: dict[uuid.UUID, set[str]] = defaultdict(set)
    of_role: dict[uuid.UUID, set[str]] = defaultdict(set)
    everything: set[uuid.UUID] = set()
    every_name: set[str] = set()
    for user_id, role_id, role_name, permission, role_tenant in rows:
        if user_id is None and role_id is None:
            every_name.add(permission)
        elif user_id is None:
            of_role[role_id].add(permission)
        elif role_id is None:
            direct[user_id].add(permission)
        else:
            roles_of[user_id].add(role_id)
            if role_tenant is None:
                global_roles.add(role_id)
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
            everywhere: set[str] = set(key[1])
            for role_id in held_roles:
                granted = of_role.get(role_id, set())
                names |= granted
                if role_id in global_roles:
                    everywhere |= granted
            if user_id in everything:
                held = Grants(all_names, key[1], all_names)
            else:
                held = Grants(frozenset(names), key[1], frozenset(everywhere))
            shared[key] = held
        found[user_id] = held
    return found


async def effective_permissions(
    session: AsyncSession, user_ids: Iterable[uuid.UUID], *, tenant_id: uuid.UUID | None = None
) -> dict[uuid.UUID, frozenset[str]]:
    """Each user's permission names acting in ``tenant_id`` (see ``grants``)."""
    return {
        user_id: held.permissions
        for user_id, held in (await grants(session, user_ids, tenant_id=tenant_id)).items()
    }


async def holding_of(deps: Deps, user_id: uuid.UUID, tenant_id: uuid.UUID | None = None) -> Holding:
    """What a caller acting in ``tenant_id`` holds, and which of it reaches every tenant."""
    async with deps.database.read() as session:
        found = (await grants(session, [user_id], tenant_id=tenant_id))[user_id]
    return Holding(found.permissions, found.everywhere)


async def permissions_of(
    deps: Deps, user_id: uuid.UUID, tenant_id: uuid.UUID | None = None
) -> frozenset[str]:
    return (await holding_of(deps, user_id, tenant_id)).permissions


async def require(deps: Deps, principal: Principal | None, permission: Permission) -> Principal:
    """The caller if they hold ``permission``; PermissionDenied otherwise. The principal reads
    its permissions once per request; writes check again in their transaction."""
    if principal is None:
        raise AuthenticationRequired()
    if permission.value not in await principal.permissions():
        raise PermissionDenied(f"Requires the {permission.value} permission")
    return principal
