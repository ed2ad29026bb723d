"""Migration 0014 (the principal cache's triggers) goes down and up again on both databases."""

from __future__ import annotations

from sqlalchemy import text

from identity.config import Settings
from identity.db import Database
from identity.migrate import current_revision, downgrade, head_revision, upgrade

TRIGGERS = "SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%principal%'"


async def _triggers(database: Database) -> int:
    if database.is_sqlite:
        return 0
    async with database.engine.connect() as connection:
        return int((await connection.execute(text(TRIGGERS))).scalar_one())


async def test_down_to_0013_and_up_again(settings: Settings) -> None:
    database = Database(settings)
    try:
        before = await _triggers(database)
        await downgrade(database, "0013")
        assert await current_revision(database) == "0013"
        assert await _triggers(database) == 0
        await upgrade(database)
        assert await current_revision(database) == head_revision()
        assert await _triggers(database) == before
        assert database.is_sqlite or before == 19
    finally:
        await database.dispose()
