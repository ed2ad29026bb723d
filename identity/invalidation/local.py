"""This process's own writes to what a principal is made of, seen on its engine.

Every statement the engine runs passes ``before_cursor_execute``: ORM flushes, Core bulk
statements and text alike. One that writes a watched table marks its connection; when that
connection commits, ``committed`` runs (before the COMMIT is sent) and when it goes back to
the pool, after the COMMIT, ``settled`` runs with what ``committed`` returned. A transaction
rolled back changed nothing.

Only a hint of which tables a statement writes is needed, never which rows: on PostgreSQL the
triggers say which rows, and this side only holds the cache until they have been heard
(``channel``); on SQLite (one process) the whole cache is dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import ConnectionPoolEntry

from identity.sql_writes import writes

WATCHED_TABLES = frozenset(
    {
        "users",
        "sessions",
        "tenants",
        "tenant_members",
        "roles",
        "role_permissions",
        "permissions",
        "user_roles",
        "user_permissions",
    }
)
# A session's use (every refresh) changes nothing a principal is made of.
_SESSION_USE = frozenset({"last_used_at"})

_DIRTY = "identity_principal_dirty"
_COMMITTED = "identity_principal_committed"


def writes_principal(statement: str) -> bool:
    """Whether a statement may write a table a principal is read from (a cheap, safe guess:
    a false yes costs a cache hold, never a stale answer)."""
    return any(
        write.table in WATCHED_TABLES
        and not (write.table == "sessions" and write.only_sets(_SESSION_USE))
        for write in writes(statement)
    )


class LocalWrites:
    """Engine hooks calling ``committed`` and ``settled`` around each write that matters."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        committed: Callable[[], int],
        settled: Callable[[int], None],
    ) -> None:
        self._engine = engine.sync_engine
        self._committed = committed
        self._settled = settled
        self._hooks: list[tuple[Any, str, Callable[..., None]]] = [
            (self._engine, "before_cursor_execute", self._statement),
            (self._engine, "commit", self._commit),
            (self._engine, "rollback", self._rollback),
            (self._engine.pool, "checkin", self._checkin),
        ]

    def install(self) -> None:
        for target, name, hook in self._hooks:
            if not event.contains(target, name, hook):
                event.listen(target, name, hook)

    def remove(self) -> None:
        for target, name, hook in self._hooks:
            if event.contains(target, name, hook):
                event.remove(target, name, hook)

    def _statement(self, conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if not writes_principal(statement):
            return
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            # Committed as it runs: hold the cache now (a read session never writes, but a
            # write through one must not escape).
            if _COMMITTED not in conn.info:
                conn.info[_COMMITTED] = self._committed()
        else:
            conn.info[_DIRTY] = True

    def _commit(self, conn: Connection) -> None:
        if conn.info.pop(_DIRTY, False) and _COMMITTED not in conn.info:
            conn.info[_COMMITTED] = self._committed()

    def _rollback(self, conn: Connection) -> None:
        conn.info.pop(_DIRTY, None)

    def _checkin(self, _dbapi: DBAPIConnection | None, record: ConnectionPoolEntry) -> None:
        write = record.info.pop(_COMMITTED, None)
        if write is not None:
            self._settled(write)
