"""Prebuilt statements run on the asyncpg driver of a pooled connection (PostgreSQL).

Through SQLAlchemy one statement costs this process ~0.66 ms of CPU (Core) to ~0.85 ms (an
ORM session) before PostgreSQL does anything; through asyncpg's prepared statements, ~0.1 ms
(``bench/refresh_cpu.py``). The hottest write, a refresh, is one statement: it is built with
SQLAlchemy Core like every other statement, compiled once for asyncpg, and run here outside
any transaction. One statement is its own transaction: all of it is written or none.

The engine's statement events (``before_cursor_execute``) do not see these statements: a
statement run here must not write what the principal cache or the users total watch
(``identity.invalidation.local``, ``identity.services.users_admin.counts``);
``tests/test_db_driver.py`` holds each statement to it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from asyncpg import Connection, PostgresError  # type: ignore[import-untyped]
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import instrumentation
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.sql.expression import Executable

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


@asynccontextmanager
async def driver_connection(engine: AsyncEngine) -> AsyncIterator[Connection]:
    """The asyncpg connection of one of the pool's connections, in autocommit.

    The pool's checkout rules apply (the idle ping); on return nothing is reset (no
    transaction was begun). A connection that failed other than by a statement's error
    (a lost socket, a cancellation in the middle of a statement) is discarded, not
    returned to the pool.
    """
    proxied = await engine.raw_connection()
    try:
        yield proxied.driver_connection
    except PostgresError:
        proxied.close()
        raise
    except BaseException:
        proxied.invalidate()
        raise
    else:
        proxied.close()


def detached(model: type[Model], values: Mapping[str, Any]) -> Model:
    """An instance of the mapped ``model`` holding ``values`` as if loaded, in no session.

    No validation runs (the values come from the database, as when the ORM loads a row):
    what the ORM's loading does, without its per-row machinery.
    """
    instance: Model = instrumentation.manager_of_class(model).new_instance()
    state = instance_state(instance)
    state.dict.update(values)
    return instance
