"""Prebuilt statements run on the asyncpg driver of a pooled connection (PostgreSQL).

Through SQLAlchemy one statement costs this process ~0.66 ms of CPU (Core) to ~0.85 ms (an
ORM session) before PostgreSQL does anything; through asyncpg's prepared statements, ~0.1 ms
(``bench/refresh_cpu.py``). The hottest write, a refresh, is one statement: it is built with
SQLAlchemy Core like every other statement, compiled once for asyncpg, and run here outside
any transaction. One statement is its own transaction: all of it is written or none.

The engine's statement events (``before_cursor_execute``) do not see these statements: a
statement run here must not write what the users total watches
(``identity.services.users_admin.counts``), nor what the principal cache watches
(``identity.invalidation.local``) unless it runs inside ``PrincipalCache.own_write``, which
tells the cache of it as the engine's hooks would (the login's ``login_sql.OPEN_CHECKED``);
``tests/test_db_driver.py`` holds each statement to it.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from asyncpg import Connection, PostgresError  # type: ignore[import-untyped]
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import instrumentation
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.pool import PoolProxiedConnection, QueuePool
from sqlalchemy.sql.expression import Executable
from sqlalchemy.util import greenlet_spawn

Model = TypeVar("Model")

_observers: list[Callable[[str], None]] = []


def observe(observer: Callable[[str], None]) -> Callable[[], None]:
    """Call ``observer`` with the SQL of every statement run here (statement counts, as
    ``before_cursor_execute`` gives them for the engine's); returns its removal."""
    _observers.append(observer)
    return lambda: _observers.remove(observer)


_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]


class DriverStatement:
    """A Core statement compiled once for asyncpg; its parameters are given by name."""

    __slots__ = ("_fixed", "_order", "sql")

    def __init__(self, statement: Executable) -> None:
        compiled = statement.compile(dialect=_DIALECT)  # type: ignore[attr-defined]
        self.sql: str = str(compiled)
        self._order: tuple[str, ...] = tuple(compiled.positiontup or ())
        self._fixed: dict[str, Any] = {
            name: bind.value
            for name, bind in compiled.binds.items()
            if name in self._order and not bind.required and bind.callable is None
        }
        """The statement's own literals (bound, as SQLAlchemy binds them)."""

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        """The positional arguments, in the compiled order; a missing name raises KeyError."""
        fixed = self._fixed
        return [values[name] if name not in fixed else fixed[name] for name in self._order]

    async def fetchrow(self, connection: Connection, values: Mapping[str, Any]) -> Any:
        """The first row (an ``asyncpg.Record``), or None."""
        for observer in _observers:
            observer(self.sql)
        return await connection.fetchrow(self.sql, *self.arguments(values))

    async def fetch(self, connection: Connection, values: Mapping[str, Any]) -> list[Any]:
        """Every row (``asyncpg.Record``s)."""
        for observer in _observers:
            observer(self.sql)
        rows: list[Any] = await connection.fetch(self.sql, *self.arguments(values))
        return rows


async def _discarded(proxied: PoolProxiedConnection) -> None:
    await greenlet_spawn(proxied.invalidate)


class DriverConnections:
    """The pool's connections that driver statements run on, kept checked out between them.

    Taking a connection from SQLAlchemy's pool and giving it back costs this process ~0.08 ms
    of CPU (a greenlet hop each way, the pool's events, its reset on return): as much as a
    prebuilt statement's own work. Up to ``keep`` connections stay checked out, idle,
    between statements (the rest of the pool serves everything else); one is reused only
    when it was last used less than ``fresh_seconds`` ago, else it goes back to the pool,
    whose checkout pings a connection that sat idle (``identity.db``). ``close`` (before
    the engine is disposed) gives every idle one back.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        keep: int,
        fresh_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._keep = keep
        self._fresh = fresh_seconds
        self._monotonic = monotonic
        self._idle: list[tuple[PoolProxiedConnection, float]] = []
        self._closed = False

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        """The asyncpg connection of one of the pool's connections, in autocommit.

        Nothing is reset between statements (no transaction is begun). A connection that
        failed other than by a statement's error (a lost socket, a cancellation in the
        middle of a statement) is discarded, neither kept nor returned to the pool.
        """
        proxied = self._fresh_one()
        if proxied is None:
            while self._idle:  # all of them sat idle too long
                await self._checked_in(self._idle.pop()[0])
            proxied = await self._engine.raw_connection()
        try:
            yield proxied.driver_connection
        except PostgresError:
            await self._give_back(proxied)
            raise
        except BaseException:
            await _discarded(proxied)
            raise
        else:
            await self._give_back(proxied)

    def _fresh_one(self) -> PoolProxiedConnection | None:
        if self._idle and self._monotonic() - self._idle[-1][1] < self._fresh:
            return self._idle.pop()[0]
        return None

    async def _give_back(self, proxied: PoolProxiedConnection) -> None:
        if self._closed or len(self._idle) >= self._keep:
            await self._checked_in(proxied)
        else:
            self._idle.append((proxied, self._monotonic()))

    async def _checked_in(self, proxied: PoolProxiedConnection) -> None:
        """Give a connection back to the pool. When the pool has no room left it closes the
        connection, which awaits the driver: that is done in a greenlet (else the
        connection leaks), the usual return without one (a greenlet hop costs ~0.02 ms)."""
        pool = self._engine.sync_engine.pool
        if isinstance(pool, QueuePool) and pool.checkedin() < pool.size():
            proxied.close()
        else:
            await greenlet_spawn(proxied.close)

    @property
    def kept(self) -> tuple[int, int]:
        """How many connections are kept idle now, and at most."""
        return len(self._idle), self._keep

    async def close(self) -> None:
        self._closed = True
        while self._idle:
            await self._checked_in(self._idle.pop()[0])


def detached(model: type[Model], values: Mapping[str, Any]) -> Model:
    """An instance of the mapped ``model`` holding ``values`` as if loaded, in no session.

    No validation runs (the values come from the database, as when the ORM loads a row):
    what the ORM's loading does, without its per-row machinery.
    """
    instance: Model = instrumentation.manager_of_class(model).new_instance()
    state = instance_state(instance)
    state.dict.update(values)
    return instance
