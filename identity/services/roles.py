"""Roles: create, change and delete them, grant their permissions, assign them to users.

Access is decided here, from the caller, for GraphQL and REST alike:

- reading roles needs ``roles:read``; changing roles and their permissions ``roles:write``;
- reading a user's roles needs ``users:read``; assigning and removing them ``users:write``
  (a user's roles are part of the account, as ``users:write``'s description says).

Three rules protect the system:

- system roles (``is_system``: superadmin, admin, user) cannot be changed or deleted, and no
  other role may take their names (the super-admin role is recognised by its name);
- nobody grants what they do not hold: adding a permission to a role needs that permission;
  assigning or removing a role, and renaming, switching on or off, deleting or taking
  permissions from one, need every permission the role grants, so an admin can neither make
  themself super-admin, nor demote one, nor open a role's holders to their own management
  by switching the role off (``services.access``);
- at least one active super-admin always remains.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import (
    Conflict,
    LastSuperAdmin,
    NotFound,
    SystemRoleProtected,
    ValidationFailed,
)
from identity.models import (
    PermissionRow,
    Role,
    RolePermission,
    User,
    UserRole,
    UserStatus,
    set_primary_role,
)
from identity.permissions import SUPERADMIN, SYSTEM_ROLES, USER, Permission
from identity.principal import Principal
from identity.services import access, audit, authorization, text_rules
from identity.services.deps import Deps
from identity.services.held import global_role_named, held_pairs, holds_any, superadmin_role

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
    if description is None:
        return None
    description = description.strip()
    text_rules.clean_text(description, field="description", max_length=MAX_DESCRIPTION_LENGTH)
    return description or None


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


async def _role(session: AsyncSession, role_id: uuid.UUID, *, lock: bool = False) -> Role:
    role = await session.get(Role, role_id, with_for_update=lock or None)
    if role is None:
        raise NotFound("Role not found", field="role_id")
    return role


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


async def held_roles(
    session: AsyncSession, user_ids: Sequence[uuid.UUID], *, include_inactive: bool = True
) -> dict[uuid.UUID, list[Role]]:
    """Each user's roles in one statement: the primary role first, then the others by name,
    each once. Inactive roles are included unless ``include_inactive`` is False (what
    GraphQL's ``User.roles`` and REST's user roles show: every role held)."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    held = held_pairs(users=lambda user_id: user_id.in_(ids)).subquery("held")
    statement = (
        select(held.c.user_id, Role)
        .join(Role, col(Role.id) == held.c.role_id)
        .order_by(held.c.user_id, held.c.kind, col(Role.name), col(Role.id))
    )
    if not include_inactive:
        statement = statement.where(col(Role.is_active))
    found: dict[uuid.UUID, list[Role]] = {user_id: [] for user_id in ids}
    for user_id, role in await session.execute(statement):
        mine = found[user_id]
        if all(other.id != role.id for other in mine):
            mine.append(role)
    return found


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


async def _own(session: AsyncSession, caller: Principal, role: Role, what: str) -> None:
    """The caller holds roles:write now and every permission ``role`` grants."""
    held = await access.held_now(session, caller, Permission.ROLES_WRITE)
    access.no_escalation(held, await access.role_permission_names(session, [role.id]), what)


# --- reading ---------------------------------------------------------------------------------


async def list_roles(
    deps: Deps,
    *,
    principal: Principal | None,
    search: str | None = None,
    is_active: bool | None = None,
    offset: int = 0,
    limit: int = 100,
) -> list[RoleDetails]:
    """Roles by name, optionally those whose name or description holds ``search``."""
    await authorization.require(deps, principal, Permission.ROLES_READ)
    statement = select(Role).order_by(col(Role.name), col(Role.id))
    if search and search.strip():
        term = search.strip().lower()
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
    statement = statement.offset(max(offset, 0)).limit(max(1, min(limit, MAX_PAGE)))
    async with deps.database.read() as session:
        roles = list((await session.scalars(statement)).all())
        return await _details(session, roles)


async def get_role(deps: Deps, *, principal: Principal | None, role_id: uuid.UUID) -> RoleDetails:
    await authorization.require(deps, principal, Permission.ROLES_READ)
    async with deps.database.read() as session:
        role = await _role(session, role_id)
        return (await _details(session, [role]))[0]


def held_roles_statement(user_id: uuid.UUID) -> Select[Role]:
    """The roles a user holds (``services.held``), by name."""
    held = held_pairs(users=lambda held_by: held_by == user_id).subquery("held")
    return select(Role).where(col(Role.id).in_(select(held.c.role_id))).order_by(col(Role.name))


async def _user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("User not found", field="user_id")
    return user


async def user_roles(deps: Deps, *, principal: Principal | None, user_id: uuid.UUID) -> list[Role]:
    """The roles a user holds, by name."""
    await authorization.require(deps, principal, Permission.USERS_READ)
    async with deps.database.read() as session:
        await _user(session, user_id)
        return list((await session.scalars(held_roles_statement(user_id))).all())


# --- changing roles --------------------------------------------------------------------------


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
    caller = await authorization.require(deps, principal, Permission.ROLES_WRITE)
    name = _clean_name(name)
    description = _clean_description(description)
    now = deps.clock.now()
    try:
        async with deps.database.unit_of_work() as session:
            held = await access.held_now(session, caller, Permission.ROLES_WRITE)
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
            role = _changeable(await _role(session, role_id, lock=True))
            await _own(session, caller, role, "Changing this role")
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
            )
            return (await _details(session, [role]))[0]
    except IntegrityError as exc:
        raise Conflict("A role with that name already exists", field="name") from exc


async def delete_role(deps: Deps, *, principal: Principal | None, role_id: uuid.UUID) -> None:
    """Delete a custom role; refused while it is some account's primary role."""
    caller = await authorization.require(deps, principal, Permission.ROLES_WRITE)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        role = _changeable(await _role(session, role_id, lock=True))
        await _own(session, caller, role, "Deleting this role")
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
        )


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
        role = _changeable(await _role(session, role_id, lock=True))
        held = await access.held_now(session, caller, Permission.ROLES_WRITE)
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
        role = _changeable(await _role(session, role_id, lock=True))
        await _own(session, caller, role, "Taking permissions from this role")
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
            )
        return (await _details(session, [role]))[0]


# --- users' roles ----------------------------------------------------------------------------


async def count_active_superadmins(session: AsyncSession) -> int:
    """Accounts that may log in and hold the super-admin role (primary or extra)."""
    count = await session.scalar(
        select(func.count())
        .select_from(User)
        .where(
            col(User.is_active),
            col(User.status).not_in([UserStatus.INACTIVE, UserStatus.LOCKED]),
            holds_any(superadmin_role()),
        )
    )
    return int(count or 0)


async def ensure_superadmin_remains(session: AsyncSession) -> None:
    """Call after (flushed) changes that may demote or disable accounts, before commit.

    Takes a lock on the super-admin role row first, so two transactions that each remove a
    different last super-admin are serialised and the second one sees the first's change.
    """
    await session.flush()
    await session.execute(superadmin_role().with_for_update())
    # Also wait for changes in flight to the remaining super-admins' accounts (users
    # administration locks those rows); the count below then sees them committed.
    await session.execute(
        select(col(User.id)).where(holds_any(superadmin_role())).with_for_update(of=User)
    )
    if await count_active_superadmins(session) < 1:
        raise LastSuperAdmin("This would leave no active super-admin")


async def _ensure_manageable(
    session: AsyncSession, caller_holds: frozenset[str], user: User
) -> None:
    """Role changes, like every account change, stay within what the caller holds."""
    access.ensure_manageable(caller_holds, (await access.holdings(session, [user.id]))[user.id])


async def _required_for(session: AsyncSession, roles: Sequence[Role]) -> frozenset[str]:
    return await access.role_permission_names(session, [role.id for role in roles])


async def assign_roles(
    deps: Deps,
    *,
    principal: Principal | None,
    user_id: uuid.UUID,
    role_ids: Sequence[uuid.UUID],
) -> list[Role]:
    """Give a user more roles; returns every role they hold afterwards."""
    caller = await authorization.require(deps, principal, Permission.USERS_WRITE)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        user = await _user(session, user_id)
        roles = await _roles(session, role_ids)
        caller_holds = await access.held_now(session, caller, Permission.USERS_WRITE)
        await _ensure_manageable(session, caller_holds, user)
        access.no_escalation(
            caller_holds, await _required_for(session, roles), "Assigning these roles"
        )
        held = {role.id for role in (await session.scalars(held_roles_statement(user.id))).all()}
        added = [role for role in roles if role.id not in held]
        session.add_all(
            UserRole(user_id=user.id, role_id=role.id, created_at=now) for role in added
        )
        if added:
            audit.record(
                session,
                event_type=EventType.USER_ROLES_ASSIGNED,
                now=now,
                meta=caller.meta,
                actor_id=caller.user_id,
                subject_id=user.id,
                resource="users",
                resource_id=str(user.id),
                details={"roles": [role.name for role in added]},
            )
        await session.flush()
        return list((await session.scalars(held_roles_statement(user.id))).all())


async def remove_roles(
    deps: Deps,
    *,
    principal: Principal | None,
    user_id: uuid.UUID,
    role_ids: Sequence[uuid.UUID],
) -> list[Role]:
    """Take roles from a user; their primary role falls back to ``user``.

    Roles the user does not hold are ignored. Returns every role they hold afterwards.
    """
    caller = await authorization.require(deps, principal, Permission.USERS_WRITE)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        user = await _user(session, user_id)
        roles = await _roles(session, role_ids)
        held = {role.id for role in (await session.scalars(held_roles_statement(user.id))).all()}
        removed = [role for role in roles if role.id in held]
        if any(role.id == user.role_id and _is_user_role(role) for role in removed):
            raise ValidationFailed(
                "Every account holds the user role: it cannot be removed", field="role_ids"
            )
        caller_holds = await access.held_now(session, caller, Permission.USERS_WRITE)
        await _ensure_manageable(session, caller_holds, user)
        access.no_escalation(
            caller_holds, await _required_for(session, removed), "Removing these roles"
        )
        if any(is_superadmin_role(role) for role in removed):
            # Before any change: the same lock order as users administration (role row,
            # then accounts), so concurrent removals wait instead of deadlocking.
            await session.execute(superadmin_role().with_for_update())
        if removed:
            old_primary = user.role
            if any(role.id == user.role_id for role in removed):
                fallback = await session.scalar(
                    select(Role).where(col(Role.id).in_(global_role_named(USER)))
                )
                assert fallback is not None  # noqa: S101 (a system role: never deleted)
                set_primary_role(user, fallback)
                user.updated_at = now
            await session.execute(
                delete(UserRole).where(
                    col(UserRole.user_id) == user.id,
                    col(UserRole.role_id).in_([role.id for role in removed]),
                )
            )
            if any(is_superadmin_role(role) for role in removed):
                await ensure_superadmin_remains(session)
            audit.record(
                session,
                event_type=EventType.USER_ROLES_REMOVED,
                now=now,
                meta=caller.meta,
                actor_id=caller.user_id,
                subject_id=user.id,
                resource="users",
                resource_id=str(user.id),
                details={
                    "roles": [role.name for role in removed],
                    "old_primary_role": old_primary,
                    "new_primary_role": user.role,
                },
            )
        await session.flush()
        return list((await session.scalars(held_roles_statement(user.id))).all())


# --- who holds a role (GraphQL's Role.users, batched by a dataloader) -------------------------


@dataclass(frozen=True, slots=True)
class HoldersKey:
    """One page of a role's holders: ``limit`` accounts after the first ``offset``."""

    role_id: uuid.UUID
    offset: int
    limit: int


@dataclass(frozen=True, slots=True)
class HoldersPage:
    users: list[User]
    total: int
    offset: int
    has_next: bool


async def role_holders(session: AsyncSession, keys: Sequence[HoldersKey]) -> list[HoldersPage]:
    """Pages of several roles' holders (by email) in two statements, whatever their number.

    Who holds a role is ``services.held``'s; an account holding it twice (primary and in
    user_roles) counts once. Callers check access (``users:read``) before asking.
    """
    role_ids = list(dict.fromkeys(key.role_id for key in keys))
    if not role_ids:
        return []
    pairs = held_pairs(roles=lambda held_role: held_role.in_(role_ids)).subquery("pairs")
    held = select(pairs.c.user_id, pairs.c.role_id).distinct().subquery("held")
    totals: dict[uuid.UUID, int] = {
        role_id: int(count)
        for role_id, count in await session.execute(
            select(held.c.role_id, func.count()).group_by(held.c.role_id)
        )
    }
    ranked = (
        select(
            held.c.role_id,
            held.c.user_id,
            func.row_number()
            .over(partition_by=held.c.role_id, order_by=(col(User.email_key), col(User.id)))
            .label("position"),
        )
        .join(User, col(User.id) == held.c.user_id)
        .subquery()
    )
    wanted = [
        and_(
            ranked.c.role_id == key.role_id,
            ranked.c.position > key.offset,
            ranked.c.position <= key.offset + key.limit + 1,
        )
        for key in keys
    ]
    rows = await session.execute(
        select(ranked.c.role_id, ranked.c.position, User)
        .join(User, col(User.id) == ranked.c.user_id)
        .where(or_(*wanted))
        .order_by(ranked.c.role_id, ranked.c.position)
    )
    by_role: dict[uuid.UUID, list[tuple[int, User]]] = defaultdict(list)
    for role_id, position, user in rows:
        by_role[role_id].append((int(position), user))
    pages = []
    for key in keys:
        window = [
            user
            for position, user in by_role[key.role_id]
            if key.offset < position <= key.offset + key.limit + 1
        ]
        pages.append(
            HoldersPage(
                users=window[: key.limit],
                total=int(totals.get(key.role_id, 0)),
                offset=key.offset,
                has_next=len(window) > key.limit,
            )
        )
    return pages
