"""How invalidations reach this process's principal cache, and when it may be trusted.

PostgreSQL: the triggers of migration 0014 ``pg_notify`` every change that matters, inside
the writing transaction, so a notification exists exactly when the change is committed and
reaches every listening replica (in commit order). Each process keeps one dedicated asyncpg
connection LISTENing; while it is disconnected the cache is bypassed, and once reconnected
(LISTEN first) everything is dropped before the cache is used again.

A write of this process is held against its own echo: from its COMMIT on, the cache is held
(``write_committing``) until the listener has received a ``fence`` it sends on its own
connection after that COMMIT returned. Notifications arrive in commit order, so by then the
write's own invalidations have been applied, and the next request of this process sees the
change even if it is served before the listener would otherwise have run.

SQLite (``cache_enabled``): the engine hooks drop the whole cache when a write commits
(before and after the COMMIT), and the cache is used only while no other server process
shares the file (``sole``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import secrets
from typing import Any, Literal, Protocol

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from identity.config import Settings
from identity.db import Database
from identity.invalidation.cache import CHANNEL, PrincipalCache
from identity.invalidation.local import LocalWrites
from identity.invalidation.sole import SoleProcess

log = logging.getLogger(__name__)

PING_SECONDS = 10.0
FIRST_BACKOFF_SECONDS = 0.1
MAX_BACKOFF_SECONDS = 5.0
APPLICATION_NAME = "identity-principal-listener"


def cache_enabled(settings: Settings) -> bool:
    """On unless ``IDENTITY_PRINCIPAL_CACHE=false``; on SQLite only in a process no other
    server process shares the database with (uvicorn's ``--workers`` start each worker as a
    child process), since SQLite has no way to tell other processes of a change."""
    if not settings.principal_cache:
        return False
    if settings.is_sqlite:
        return multiprocessing.parent_process() is None
    return settings.database_url.startswith("postgresql+asyncpg")


class Channel(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class NoChannel:
    """The cache is off: nothing to listen to."""

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class InProcess:
    """SQLite, one process: every write is this process's own."""

    def __init__(self, cache: PrincipalCache, database: Database, settings: Settings) -> None:
        self._cache = cache
        self._local = LocalWrites(database.engine, committed=self._flush, settled=self._settled)
        self._sole = SoleProcess(settings.sqlite_path())

    async def start(self) -> None:
        self._local.install()
        self._cache.tell_own_writes(self._flush, self._settled)
        self._sole.open()
        self._cache.gate_with(self._sole.alone)
        self._cache.went_online()

    def _flush(self) -> int:
        self._cache.flush()
        return 0

    def _settled(self, _write: int) -> None:
        self._cache.flush()

    async def stop(self) -> None:
        self._cache.went_offline()
        self._cache.gate_with(None)
        self._sole.close()
        self._cache.tell_own_writes(None, None)
        self._local.remove()


class PostgresListener:
    """One LISTEN connection per process, reconnected with backoff."""

    def __init__(self, cache: PrincipalCache, database: Database, settings: Settings) -> None:
        self._cache = cache
        url = make_url(settings.database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._timeout = float(settings.db_connect_timeout)
        self._token = secrets.token_hex(8)
        self._local = LocalWrites(
            database.engine, committed=cache.write_committing, settled=self._settled
        )
        self._fence_due = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._connection: Any | None = None
        self._first_attempt = asyncio.Event()

    @property
    def backend_pid(self) -> int | None:
        """The listening connection's server process (tests end it to prove fail-closed)."""
        return None if self._connection is None else self._connection.get_server_pid()

    async def start(self) -> None:
        self._local.install()
        self._cache.tell_own_writes(self._cache.write_committing, self._settled)
        self._task = asyncio.create_task(self._run(), name="principal-cache-listener")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._timeout):
                await self._first_attempt.wait()

    async def stop(self) -> None:
        self._local.remove()
        self._cache.tell_own_writes(None, None)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._cache.went_offline()

    async def wait_usable(self) -> None:
        """Until the listener is connected and every fence asked for has come back (callers
        bound the wait with ``asyncio.timeout``)."""
        # ``usable`` is computed from counters that synchronous engine hooks move: polled.
        while not self._cache.usable:  # noqa: ASYNC110
            await asyncio.sleep(0.01)

    async def settle(self) -> None:
        """Until every notification committed before this call has been applied (a write
        of another process, or of SQL outside the app, is heard within milliseconds)."""
        self._settled(self._cache.write_committing())
        await self.wait_usable()

    def _settled(self, write: int) -> None:
        self._cache.write_settled(write)
        self._fence_due.set()

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload.startswith("fence:"):
            _kind, token, number = payload.split(":", 2)
            if token == self._token and number.isdigit():
                self._cache.fence_arrived(int(number))
            return
        self._cache.invalidate(payload)

    async def _run(self) -> None:
        backoff = FIRST_BACKOFF_SECONDS
        while True:
            try:
                await self._listen()
                backoff = FIRST_BACKOFF_SECONDS
            except asyncio.CancelledError:
                raise
            except Exception as error:  # any failure: bypassed, then reconnected
                log.warning(
                    "principal cache listener: %s; cache bypassed until it reconnects", error
                )
            finally:
                self._cache.went_offline()
                self._first_attempt.set()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    async def _listen(self) -> None:
        connection: Any = await asyncpg.connect(
            self._dsn,
            timeout=self._timeout,
            server_settings={"application_name": f"{APPLICATION_NAME} {os.getpid()}"},
        )
        lost = asyncio.Event()

        def ended(_conn: Any) -> None:
            self._cache.went_offline()  # at once, not when this task next runs
            lost.set()

        connection.add_termination_listener(ended)
        try:
            await connection.add_listener(CHANNEL, self._notified)
            self._connection = connection
            self._cache.went_online()
            self._first_attempt.set()
            log.info("principal cache listener connected")
            await self._serve(connection, lost)
        finally:
            self._connection = None
            if not connection.is_closed():
                connection.terminate()

    async def _serve(self, connection: Any, lost: asyncio.Event) -> None:
        """Send fences when asked, ping when idle; return when the connection is lost."""
        lost_wait = asyncio.ensure_future(lost.wait())
        fence_wait: asyncio.Task[Literal[True]] | None = None
        try:
            while not lost.is_set():
                fence_wait = asyncio.ensure_future(self._fence_due.wait())
                done, _ = await asyncio.wait(
                    (lost_wait, fence_wait),
                    timeout=PING_SECONDS,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                fence_wait.cancel()
                if lost.is_set() or connection.is_closed():
                    return
                async with asyncio.timeout(self._timeout):
                    if self._fence_due.is_set():
                        self._fence_due.clear()
                        number = self._cache.next_fence()
                        await connection.execute(
                            "SELECT pg_notify($1, $2)", CHANNEL, f"fence:{self._token}:{number}"
                        )
                    elif not done:
                        await connection.execute("SELECT 1")
        finally:
            lost_wait.cancel()
            if fence_wait is not None:
                fence_wait.cancel()


def channel_for(cache: PrincipalCache, database: Database, settings: Settings) -> Channel:
    if not cache.enabled:
        return NoChannel()
    if settings.is_sqlite:
        return InProcess(cache, database, settings)
    return PostgresListener(cache, database, settings)
