"""The database: one engine per process, short sessions, one unit of work per request."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ARRAY, ColumnElement, Connection, any_, bindparam, event, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool

from identity.config import Settings
from identity.db_driver import DriverConnections

OUTBOX_SEALER = "identity.outbox_sealer"
"""Key of the ``TextSealer`` in every session's ``info``: the outbox seals mail bodies with it."""


class TextSealer(Protocol):
    """Encryption of text at rest (``identity.security.sealing.Sealer``)."""

    def seal(self, text: str) -> str: ...

    def open(self, text: str) -> str: ...


def dialect_name(session: AsyncSession) -> str:
    """``postgresql`` or ``sqlite``: the dialect of the engine the session is bound to."""
    if session.bind is None:
        raise RuntimeError("an unbound session has no dialect")
    return session.bind.dialect.name


def in_parameter(column: Any, name: str, dialect: str) -> ColumnElement[bool]:
    """``column IN :name`` for a list given at execution.

    PostgreSQL gets one array parameter (``= ANY``): an expanded list of a hundred ids costs
    milliseconds of planning per statement, an array costs none. SQLite has no arrays, so it
    gets the list expanded.
    """
    if dialect == "postgresql":
        result: ColumnElement[bool] = column == any_(bindparam(name, type_=ARRAY(column.type)))
        return result
    expanded: ColumnElement[bool] = column.in_(bindparam(name, expanding=True))
    return expanded


@dataclass(frozen=True, slots=True)
class PoolStatus:
    active: int
    idle: int
    total: int
    size: int
    overflow: int


def kept_for_driver(settings: Settings) -> int:
    """Of the pool's connections, those kept for statements run on the driver
    (``DriverConnections``); the pool holds the rest."""
    return settings.db_pool_size // 4


def _engine_options(settings: Settings) -> dict[str, Any]:
    if settings.is_sqlite:
        return {"connect_args": {"timeout": 15}}
    return {
        "pool_size": settings.db_pool_size - kept_for_driver(settings),
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_connect_timeout,
        "connect_args": {"timeout": settings.db_connect_timeout},
    }


WRITE_OPTION = "identity_write"
IDLE_PING_SECONDS = 5.0
_RETURNED_AT = "identity_returned_at"


def _mark_returned(_dbapi: DBAPIConnection, record: ConnectionPoolEntry) -> None:
    record.info[_RETURNED_AT] = time.monotonic()


def _ping_if_idle(
    dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry, _proxy: object
) -> None:
    """Ping a pooled connection only when it sat idle, instead of on every checkout.

    ``pool_pre_ping`` costs a round trip per checkout, which under load is most of a
    request's database time. A connection in steady use is alive; one that sat idle may
    have outlived a database restart, and raising ``DisconnectionError`` makes the pool
    replace it before anyone uses it.
    """
    returned_at = record.info.get(_RETURNED_AT)
    if returned_at is None or time.monotonic() - returned_at < IDLE_PING_SECONDS:
        return
    try:
        dbapi_connection.ping()
    except Exception as exc:
        raise DisconnectionError("idle connection failed its ping") from exc


def _tune_sqlite(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    """WAL lets readers run beside the writer; foreign keys are off in SQLite unless asked.

    The driver's own implicit BEGIN is turned off so that ``_begin_sqlite`` decides.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def _begin_sqlite(connection: Connection) -> None:
    """Writers take SQLite's write lock up front (BEGIN IMMEDIATE).

    A deferred transaction that reads and then writes fails at once with "database is
    locked" when another writer committed in between; an immediate one waits its turn.
    """
    immediate = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """Owns the engine; the app's lifespan creates it and disposes of it."""

    def __init__(self, settings: Settings, *, outbox_sealer: TextSealer | None = None) -> None:
        """``outbox_sealer``: without one, sessions of this database cannot queue mail."""
        self.url = settings.database_url
        self.is_sqlite = settings.is_sqlite
        path = settings.sqlite_path()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: a failed statement's error (logged, or shown by a careless
        # adapter) would otherwise carry its bound values: password hashes, token digests.
        self.engine: AsyncEngine = create_async_engine(
            self.url, hide_parameters=True, **_engine_options(settings)
        )
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _tune_sqlite)
            event.listen(self.engine.sync_engine, "begin", _begin_sqlite)
            readers = self.engine
        else:
            event.listen(self.engine.sync_engine.pool, "checkin", _mark_returned)
            event.listen(self.engine.sync_engine.pool, "checkout", _ping_if_idle)
            # A read is one statement or a few independent ones: autocommit spares the
            # BEGIN and ROLLBACK round trips the driver would add around it.
            readers = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self.driver: DriverConnections | None = (
            None
            if self.is_sqlite
            else DriverConnections(
                self.engine,
                keep=kept_for_driver(settings),
                fresh_seconds=IDLE_PING_SECONDS,
            )
        )
        """Connections for statements run on the driver (PostgreSQL: ``identity.db_driver``)."""
        self.outbox_sealer = outbox_sealer
        info = {} if outbox_sealer is None else {OUTBOX_SEALER: outbox_sealer}
        self.sessions = async_sessionmaker(readers, expire_on_commit=False, info=info)
        self._write_sessions = async_sessionmaker(
            self.engine.execution_options(**{WRITE_OPTION: True}),
            expire_on_commit=False,
            info=info,
        )

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back when it raises."""
        async with self._write_sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A short session for reads (dataloader batches, list queries); it never writes.

        On PostgreSQL each statement sees its own snapshot; a read that needs several
        statements to agree must use ``unit_of_work``.
        """
        async with self.sessions() as session:
            yield session

    async def ping(self, limit_seconds: float) -> float:
        """Round-trip time of ``SELECT 1`` in milliseconds; raises when it does not answer."""
        started = time.perf_counter()
        async with asyncio.timeout(limit_seconds):
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        return (time.perf_counter() - started) * 1000

    def pool_status(self) -> PoolStatus:
        pool = self.engine.sync_engine.pool
        if isinstance(pool, QueuePool):
            kept = self.driver.kept if self.driver is not None else (0, 0)
            active = pool.checkedout() - kept[0]
            idle = pool.checkedin() + kept[0]
            return PoolStatus(
                active=active,
                idle=idle,
                total=active + idle,
                size=pool.size() + kept[1],
                overflow=max(pool.overflow(), 0),
            )
        return PoolStatus(active=0, idle=0, total=0, size=0, overflow=0)

    async def dispose(self) -> None:
        if self.driver is not None:
            await self.driver.close()
        await self.engine.dispose()
