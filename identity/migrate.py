"""Apply Alembic migrations from code: the CLI, the app's start-up and the tests share this.

Alembic (and Mako) are imported when a migration runs, not with this module: a server
whose database was migrated before it started (``identity serve`` migrates in a child
process) never loads them, ~11 MB of its resident memory.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

import migrations
from identity.db import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(migrations.__file__).parent


def alembic_config(database_url: str | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    if database_url:
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    """Outside a transaction (inside one SQLite ignores it), on the driver's connection."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    cursor.close()


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")


def _downgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def upgrade(database: Database, revision: str = "head") -> None:
    """On SQLite foreign keys are off while migrations run: batch mode rebuilds a table by
    dropping it, and with them on that drop deletes (cascades to) every row referencing it."""
    await _migrate(database, _upgrade, revision)


async def downgrade(database: Database, revision: str) -> None:
    """Back to ``revision``, with foreign keys off on SQLite as for ``upgrade``."""
    await _migrate(database, _downgrade, revision)


async def _migrate(
    database: Database, step: Callable[[Connection, str], None], revision: str
) -> None:
    if not database.is_sqlite:
        async with database.engine.begin() as connection:
            await connection.run_sync(step, revision)
        return
    async with database.engine.connect() as connection:
        await connection.run_sync(_sqlite_foreign_keys, False)
        try:
            async with connection.begin():
                await connection.run_sync(step, revision)
                await connection.run_sync(_check_foreign_keys)
        finally:
            await connection.run_sync(_sqlite_foreign_keys, True)


async def current_revision(database: Database) -> str | None:
    async with database.engine.connect() as connection:
        return await connection.run_sync(_current)


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
