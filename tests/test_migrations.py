"""Alembic owns the schema: migrations apply on both databases and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from identity.config import Settings
from identity.db import Database
from identity.migrate import current_revision, head_revision, upgrade
from identity.models import metadata


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_the_test_database_is_at_head(settings: Settings) -> None:
    database = Database(settings)
    try:
        assert await current_revision(database) == head_revision()
    finally:
        await database.dispose()


async def test_upgrade_again_is_a_no_op(settings: Settings) -> None:
    database = Database(settings)
    try:
        await upgrade(database)
        assert await current_revision(database) == head_revision()
    finally:
        await database.dispose()


async def test_models_and_migrations_agree(settings: Settings) -> None:
    database = Database(settings)
    try:
        async with database.engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await database.dispose()

    assert differences == []
