"""Alembic owns the schema: migrations apply on both databases and match the models."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SAWarning
from sqlmodel import col

from identity.config import Settings
from identity.db import Database
from identity.migrate import current_revision, head_revision, upgrade
from identity.models import OneTimeToken, metadata
from identity.models.one_time_token import SIGN_UP_EMAIL_INDEX
from identity.services.one_time import sent_before_sign_up


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    with warnings.catch_warnings():
        # SQLite's reflection cannot read an index on an expression (lower(email)); the
        # comparison then skips it, and the index test below checks it is there.
        warnings.filterwarnings(
            "ignore", "Skipped unsupported reflection of expression-based index", SAWarning
        )
        warnings.filterwarnings(
            "ignore", "autogenerate skipping metadata-specified expression-based index"
        )
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


async def test_sign_up_links_are_found_by_address_through_the_index(settings: Settings) -> None:
    """Re-issuing a sign-up link revokes the older ones by address; that must not scan."""
    statement = select(col(OneTimeToken.id)).where(sent_before_sign_up("Someone@Example.com"))
    database = Database(settings)
    try:
        async with database.engine.connect() as connection:
            sql = str(
                statement.compile(
                    dialect=connection.dialect, compile_kwargs={"literal_binds": True}
                )
            )
            if connection.dialect.name == "postgresql":
                await connection.execute(text("SET enable_seqscan = off"))
                rows = await connection.execute(text(f"EXPLAIN {sql}"))
            else:
                rows = await connection.execute(text(f"EXPLAIN QUERY PLAN {sql}"))
            plan = " ".join(str(row[-1]) for row in rows)
    finally:
        await database.dispose()

    assert SIGN_UP_EMAIL_INDEX.name in plan, plan
