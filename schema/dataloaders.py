"""Per-request loaders; each batch opens its own short read session.

One AsyncSession is never shared by resolvers that run concurrently (asyncpg refuses
"another operation is in progress"), so every batch reads through ``database.read()``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import TypeVar

from aiodataloader import DataLoader
from sqlalchemy import and_, select
from sqlmodel import col

from identity.clock import Clock
from identity.db import Database
from identity.models import AuthSession, PermissionRow, Role, RolePermission, User, UserRole
from identity.services import authorization, roles


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


class _Batch(DataLoader[K, V]):
    def __init__(self, database: Database) -> None:
        super().__init__()
        self.database = database


class RolesByUser(_Batch[uuid.UUID, list[Role]]):
    """The primary role (``users.role``) first, then the other roles, by name."""

    async def batch_load_fn(self, user_ids: Sequence[uuid.UUID]) -> list[list[Role]]:
        found: dict[uuid.UUID, list[Role]] = defaultdict(list)
        primary = (
            select(col(User.id), Role)
            .join(Role, and_(col(Role.name) == col(User.role), col(Role.tenant_id).is_(None)))
            .where(col(User.id).in_(user_ids))
        )
        extra = (
            select(col(UserRole.user_id), Role)
            .join(Role, col(Role.id) == col(UserRole.role_id))
            .where(col(UserRole.user_id).in_(user_ids))
            .order_by(col(Role.name))
        )
        async with self.database.read() as session:
            for statement in (primary, extra):
                for user_id, role in await session.execute(statement):
                    if all(held.id != role.id for held in found[user_id]):
                        found[user_id].append(role)
        return [found[user_id] for user_id in user_ids]


class PermissionsByRole(_Batch[str, list[PermissionRow]]):
    """Keyed by the role id as a string, as GraphQL holds it."""

    async def batch_load_fn(self, role_ids: Sequence[str]) -> list[list[PermissionRow]]:
        found: dict[str, list[PermissionRow]] = defaultdict(list)
        async with self.database.read() as session:
            rows = await session.execute(
                select(col(RolePermission.role_id), PermissionRow)
                .join(PermissionRow, col(PermissionRow.id) == col(RolePermission.permission_id))
                .where(col(RolePermission.role_id).in_([uuid.UUID(key) for key in role_ids]))
                .order_by(col(PermissionRow.name))
            )
            for role_id, permission in rows:
                found[str(role_id)].append(permission)
        return [found[key] for key in role_ids]


class PermissionsByUser(_Batch[uuid.UUID, frozenset[str]]):
    """Effective permission names, as the authorization service computes them."""

    async def batch_load_fn(self, user_ids: Sequence[uuid.UUID]) -> list[frozenset[str]]:
        async with self.database.read() as session:
            found = await authorization.effective_permissions(session, user_ids)
        return [found[user_id] for user_id in user_ids]


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
