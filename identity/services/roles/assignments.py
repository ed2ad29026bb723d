"""Users' roles: read, assign, remove (``users:read``/``users:write``), and the rule that an
active super-admin always remains."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import LastSuperAdmin, NotFound, ValidationFailed
from identity.models import Role, User, UserRole, UserStatus, set_primary_role
from identity.permissions import USER, Permission
from identity.principal import Principal
from identity.services import access, audit, authorization, tenancy
from identity.services._kit import get_or_404
from identity.services.deps import Deps
from identity.services.held import global_role_named, held_pairs, holds_any, superadmin_role
from identity.services.roles.common import _is_user_role, _roles, ensure_within, is_superadmin_role
from identity.services.tenancy import Reach


def held_roles_statement(user_id: uuid.UUID, reach: Reach | None = None) -> Select[Role]:
    """The roles a user holds (``services.held``), by name; within ``reach``, the global
    ones and those of the tenant reached."""
    held = held_pairs(users=lambda held_by: held_by == user_id).subquery("held")
    statement = (
        select(Role).where(col(Role.id).in_(select(held.c.role_id))).order_by(col(Role.name))
    )
    if reach is not None and not reach.everywhere:
        statement = tenancy.scoped(statement, Role, reach.tenant_id, with_global=True)
    return statement


async def _user(session: AsyncSession, user_id: uuid.UUID, reach: Reach | None = None) -> User:
    """The account, when within ``reach`` (a member of the tenant reached); else not found."""
    user = await get_or_404(session, User, user_id, message="User not found", field="user_id")
    if reach is not None and not await tenancy.within(session, reach, user.id):
        raise NotFound("User not found", field="user_id")
    return user


async def _members_only(session: AsyncSession, user: User, roles: Sequence[Role]) -> None:
    """A tenant's role is held by members of that tenant alone (it counts nowhere else)."""
    for tenant_id in {role.tenant_id for role in roles if role.tenant_id is not None}:
        if not await tenancy.within(session, Reach(tenant_id), user.id):
            raise ValidationFailed(
                "A role of a tenant is given to members of that tenant only", field="role_ids"
            )


async def user_roles(deps: Deps, *, principal: Principal | None, user_id: uuid.UUID) -> list[Role]:
    """The roles a user holds, by name (a tenant's administrator sees the global ones and
    their tenant's)."""
    reach = await tenancy.reach(deps, principal, Permission.USERS_READ)
    async with deps.database.read() as session:
        await _user(session, user_id, reach)
        return list((await session.scalars(held_roles_statement(user_id, reach))).all())


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
        reach, caller_holds = await tenancy.reach_now(session, caller, Permission.USERS_WRITE)
        user = await _user(session, user_id, reach)
        roles = await _roles(session, role_ids)
        ensure_within(reach, roles, write=True)
        await _members_only(session, user, roles)
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
                tenant_id=reach.tenant_id,
            )
        await session.flush()
        return list((await session.scalars(held_roles_statement(user.id, reach))).all())


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
        reach, caller_holds = await tenancy.reach_now(session, caller, Permission.USERS_WRITE)
        user = await _user(session, user_id, reach)
        roles = await _roles(session, role_ids)
        ensure_within(reach, roles, write=True)
        held = {role.id for role in (await session.scalars(held_roles_statement(user.id))).all()}
        removed = [role for role in roles if role.id in held]
        if any(role.id == user.role_id and _is_user_role(role) for role in removed):
            raise ValidationFailed(
                "Every account holds the user role: it cannot be removed", field="role_ids"
            )
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
                tenant_id=reach.tenant_id,
            )
        await session.flush()
        return list((await session.scalars(held_roles_statement(user.id, reach))).all())
