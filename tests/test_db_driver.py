"""Statements run on the driver (``identity.db_driver``) bypass the engine's statement
events: none may write what the principal cache or the users total watch."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from asyncpg import PostgresError  # type: ignore[import-untyped]

from identity.config import Settings
from identity.db import Database
from identity.db_driver import DriverConnections, DriverStatement
from identity.invalidation.local import writes_principal
from identity.services.auth import rotation_sql
from identity.services.users_admin import counts
from identity.sql_writes import writes

DRIVEN = {"refresh rotation": rotation_sql.ROTATE}


@pytest.mark.parametrize("name", sorted(DRIVEN))
def test_a_driven_statement_writes_nothing_the_caches_watch(name: str) -> None:
    sql = DriverStatement(DRIVEN[name]).sql

    assert not writes_principal(sql)
    assert not counts.changes_counts(sql)
    assert {write.table for write in writes(sql)} == {"sessions", "refresh_tokens", "audit_events"}


def test_parameters_are_given_by_name_and_literals_are_the_statements_own() -> None:
    statement = DriverStatement(rotation_sql.ROTATE)
    names = {"now", "presented_hash", "idle_cutoff", "successor_id", "successor_hash"}
    names |= {"audit_id", "audit_ip_address", "audit_user_agent", "audit_request_id"}
    names |= {"audit_details"}
    values = {name: name for name in names}

    arguments = statement.arguments(values)

    assert "active" in arguments
    assert "token.refreshed" in arguments
    assert set(arguments) - {"active", "token.refreshed"} == names
    without_now = {name: value for name, value in values.items() if name != "now"}
    with pytest.raises(KeyError):
        statement.arguments(without_now)


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def pg(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings)
    yield database
    await database.dispose()


def _checked_out(database: Database) -> int:
    return database.pool_status().active


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_connection_is_kept_between_statements_while_fresh(pg: Database) -> None:
    clock = _Clock()
    kept = DriverConnections(pg.engine, keep=1, fresh_seconds=5, monotonic=clock)

    async with kept.connection() as first:
        pid = await first.fetchval("SELECT pg_backend_pid()")
    clock.now = 4.9
    async with kept.connection() as second:
        assert await second.fetchval("SELECT pg_backend_pid()") == pid
    assert _checked_out(pg) == 1

    clock.now = 10.0  # sat idle too long: back to the pool, whose checkout pings it
    async with kept.connection():
        assert _checked_out(pg) == 1
    await kept.close()
    assert _checked_out(pg) == 0


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_no_more_than_keep_stay_checked_out(pg: Database) -> None:
    kept = DriverConnections(pg.engine, keep=1, fresh_seconds=5)
    entered = asyncio.Barrier(3)

    async def use() -> None:
        async with kept.connection() as connection:
            await entered.wait()
            await connection.fetchval("SELECT 1")

    await asyncio.gather(use(), use(), use())

    assert _checked_out(pg) == 1
    await kept.close()
    async with kept.connection():  # closed: used once and given back at once
        pass
    assert _checked_out(pg) == 0


async def _backend_pid(kept: DriverConnections, error: BaseException | None = None) -> int:
    """The connection's server process; ``error`` raised while it is held."""
    async with kept.connection() as connection:
        pid: int = await connection.fetchval("SELECT pg_backend_pid()")
        if error is not None:
            raise error
    return pid


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_statement_error_keeps_the_connection_and_anything_else_discards_it(
    pg: Database,
) -> None:
    kept = DriverConnections(pg.engine, keep=1, fresh_seconds=5)
    pid = await _backend_pid(kept)
    async with kept.connection() as connection:
        with pytest.raises(PostgresError):
            await connection.fetchval("SELECT 1/0")

    with pytest.raises(PostgresError):
        async with kept.connection() as connection:
            await connection.fetchval("SELECT 1/0")
    assert await _backend_pid(kept) == pid

    with pytest.raises(asyncio.CancelledError):
        await _backend_pid(kept, asyncio.CancelledError())
    assert _checked_out(pg) == 0
    assert await _backend_pid(kept) != pid
    await kept.close()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_the_pool_status_counts_a_kept_connection_idle(pg: Database) -> None:
    assert pg.driver is not None
    async with pg.driver.connection():
        busy = pg.pool_status()
    kept = pg.pool_status()

    assert (busy.active, busy.idle) == (1, 0)
    assert (kept.active, kept.idle, kept.size) == (0, 1, 10)  # the pool's size as configured
