"""Per-request loaders; each batch opens its own short read session.

One AsyncSession is never shared by resolvers that run concurrently (asyncpg refuses
"another operation is in progress"), so every batch reads through ``database.read()``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from aiodataloader import DataLoader
from sqlalchemy import select
from sqlmodel import col

from identity.clock import Clock
from identity.db import Database
from identity.models import AuthSession


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


class Loaders:
    def __init__(self, database: Database, clock: Clock) -> None:
        self.active_sessions_by_user = ActiveSessionsByUser(database, clock)
