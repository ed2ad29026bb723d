"""The signing key ring on a shared database: one key signs, however many replicas start."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select
from sqlmodel import col

from identity.clock import SystemClock
from identity.config import Settings
from identity.db import Database
from identity.migrate import downgrade, upgrade
from identity.models import SigningKey
from identity.services.keys import KeyRing, _new_key_row

SECRET = "a-long-random-secret-key-for-tests-0123456789"


async def _keys(database: Database) -> list[SigningKey]:
    async with database.read() as session:
        found = await session.execute(select(SigningKey).order_by(col(SigningKey.created_at)))
        return list(found.scalars().all())


async def test_replicas_starting_together_sign_with_one_key(settings: Settings) -> None:
    replicas = [Database(settings) for _ in range(4)]
    try:
        rings = [KeyRing(database=db, secret_key=SECRET, clock=SystemClock()) for db in replicas]

        active = await asyncio.gather(*(ring.load() for ring in rings))

        assert len({key.kid for key in active}) == 1
        [stored] = await _keys(replicas[0])
        assert stored.kid == active[0].kid
        assert stored.retired_at is None
        assert all(set(ring.public) == {stored.kid} for ring in rings)
    finally:
        for database in replicas:
            await database.dispose()


async def test_migration_0015_keeps_the_newest_of_doubled_keys(settings: Settings) -> None:
    database = Database(settings)
    try:
        await downgrade(database, "0014")
        older = _new_key_row(SECRET, datetime(2026, 11, 1, tzinfo=UTC))
        newer = _new_key_row(SECRET, datetime(2026, 11, 2, tzinfo=UTC))
        async with database.unit_of_work() as session:
            session.add_all([older, newer])

        await upgrade(database)

        stored = {key.kid: key for key in await _keys(database)}
        assert stored[newer.kid].retired_at is None
        assert stored[older.kid].retired_at is not None
        assert stored[older.kid].expires_at is not None
        ring = KeyRing(database=database, secret_key=SECRET, clock=SystemClock())
        assert (await ring.load()).kid == newer.kid
    finally:
        await database.dispose()
