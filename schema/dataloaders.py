"""Per-request loaders; each batch opens its own short read session.

One AsyncSession is never shared by resolvers that run concurrently (asyncpg refuses
"another operation is in progress"), so every batch reads through ``database.read()``.

Loaders behind list fields return GraphQL objects, built once per request and shared by
every parent that holds them (the same Role for each of its hundred holders). Resolvers
read them through ``ready``: a value already loaded is returned as is, so a page whose
loaders were primed completes without one task per item.
"""

from __future__ import annotations

import asyncio
import uuid
from asyncio import Future
from collections import defaultdict
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import and_, select
from sqlmodel import col
from strawberry.types.nodes import Selection

from identity.clock import Clock
from identity.db import Database
from identity.models import AuthSession, PermissionRow, RolePermission, User, UserRole
from identity.models import Role as RoleRow
from identity.services import authorization, roles
from schema.selection import selects

if TYPE_CHECKING:
    from schema.types.rbac import Permission, Role


class ActiveSessionsByUser(DataLoader[uuid.UUID, list[AuthSession]]):
    def __init__(self, database: Database, clock: Clock) -> None:
        super().__init__()
        self.database = database
        self.clock = clock

    async def batch_load_fn(self, user_ids: Sequence[uuid.UUID]) -> list[list[AuthSession]]:
        now = self.clock.now()
        found: dict[uuid.UUID, list[AuthSession]] = defaultdict(list)
        async with self.database.read() as session:
            rows = await session.execute(
                select(AuthSession)
                .where(
                    col(AuthSession.user_id).in_(user_ids),
                    col(AuthSession.revoked_at).is_(None),
                    col(AuthSession.expires_at) > now,
                )
                .order_by(col(AuthSession.last_used_at).desc())
            )
            for auth_session in rows.scalars():
                found[auth_session.user_id].append(auth_session)
        return [found[user_id] for user_id in user_ids]


K = TypeVar("K")
V = TypeVar("V")


def ready(loader: DataLoader[K, V], key: K) -> V | Future[V]:
    """The value when this request has loaded it already, else the loader's future."""
    future = loader.load(key)
    if future.done() and not future.cancelled() and future.exception() is None:
        return future.result()
    return future


class _Batch(DataLoader[K, V]):
    def __init__(self, database: Database) -> None:
        super().__init__()
        self.database = database


class RolesByUser(_Batch[uuid.UUID, list["Role"]]):
    """The primary role (``users.role``) first, then the other roles, by name."""

    async def batch_load_fn(self, user_ids: Sequence[uuid.UUID]) -> list[list[Role]]:
        from schema.types.rbac import Role

        found: dict[uuid.UUID, list[Role]] = defaultdict(list)
        built: dict[uuid.UUID, Role] = {}
        primary = (
            select(col(User.id), RoleRow)
            .join(
                RoleRow, and_(col(RoleRow.name) == col(User.role), col(RoleRow.tenant_id).is_(None))
            )
            .where(col(User.id).in_(user_ids))
        )
        extra = (
            select(col(UserRole.user_id), RoleRow)
            .join(RoleRow, col(RoleRow.id) == col(UserRole.role_id))
            .where(col(UserRole.user_id).in_(user_ids))
            .order_by(col(RoleRow.name))
        )
        async with self.database.read() as session:
            for statement in (primary, extra):
                for user_id, row in await session.execute(statement):
                    role = built.get(row.id)
                    if role is None:
                        role = built[row.id] = Role.from_model(row)
                    if all(held is not role for held in found[user_id]):
                        found[user_id].append(role)
        return [found[user_id] for user_id in user_ids]


class PermissionsByRole(_Batch[str, list["Permission"]]):
    """Keyed by the role id as a string, as GraphQL holds it."""

    async def batch_load_fn(self, role_ids: Sequence[str]) -> list[list[Permission]]:
        from schema.types.rbac import Permission

        found: dict[str, list[Permission]] = defaultdict(list)
        async with self.database.read() as session:
            rows = await session.execute(
                select(col(RolePermission.role_id), PermissionRow)
                .join(PermissionRow, col(PermissionRow.id) == col(RolePermission.permission_id))
                .where(col(RolePermission.role_id).in_([uuid.UUID(key) for key in role_ids]))
                .order_by(col(PermissionRow.name))
            )
            for role_id, row in rows:
                found[str(role_id)].append(Permission.from_model(row))
        return [found[key] for key in role_ids]


class PermissionsByUser(_Batch[uuid.UUID, list[str]]):
    """Effective permission names, sorted, as the authorization service computes them."""

    async def batch_load_fn(self, user_ids: Sequence[uuid.UUID]) -> list[list[str]]:
        async with self.database.read() as session:
            found = await authorization.grants(session, user_ids)
        return [found[user_id].ordered for user_id in user_ids]


class HoldersByRole(_Batch[roles.HoldersKey, roles.HoldersPage]):
    """Pages of a role's holders (Role.users), every role of a request in two statements."""

    async def batch_load_fn(self, keys: Sequence[roles.HoldersKey]) -> list[roles.HoldersPage]:
        async with self.database.read() as session:
            return await roles.role_holders(session, keys)


class Loaders:
    """One set per request: caches never outlive the request that filled them."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self.active_sessions_by_user = ActiveSessionsByUser(database, clock)
        self.roles_by_user = RolesByUser(database)
        self.permissions_by_role = PermissionsByRole(database)
        self.permissions_by_user = PermissionsByUser(database)
        self.holders_by_role = HoldersByRole(database)

    async def prime_users(self, user_ids: list[uuid.UUID], node: list[Selection]) -> None:
        """Load what ``node`` (a User's selection) asks for, for every user of a page, before
        the page is completed: one batch per loader as before, but then each user's roles
        and permissions are ready and complete without a task apiece."""
        jobs: list[Awaitable[object]] = []
        if selects(node, "roles"):
            jobs.append(self.roles_by_user.load_many(user_ids))
        if selects(node, "permissions"):
            jobs.append(self.permissions_by_user.load_many(user_ids))
        await asyncio.gather(*jobs)
        if selects(node, "roles", "permissions"):
            held = await self.roles_by_user.load_many(user_ids)
            await self.permissions_by_role.load_many(
                list(dict.fromkeys(role.id for roles in held for role in roles))
            )
