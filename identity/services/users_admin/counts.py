"""A short-lived cache of the users listing's total, for REST pages (which always answer
``total``): counting a million accounts costs more than the page itself.

An entry is keyed by the database, the filters and the tenant in reach, and lives at most
``users_total_cache_seconds``. Any write in this process that can change a count (an account
or role held inserted, deleted or changed in a filtered column; a role, tenant or membership
changed) makes every entry of that database stale, and the invalidation is airtight in
process: the writing connection bumps a generation when it sends the statement and again
when it goes back to the pool (after its commit or rollback), and no count is kept while a
writer is between the two. A count read in another process's write lags by at most the TTL
(``docs/departures.md``).

The writes are seen at the engine level (``before_cursor_execute`` on every engine, the
pool's ``checkin``), so ORM flushes, Core statements and raw connections all count.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.engine import URL, Engine
from sqlalchemy.pool import Pool

from identity.sql_writes import writes

MAX_ENTRIES: Final = 4096

_WATCHED = ("users", "user_roles", "roles", "tenant_members", "tenants")
_COUNTED_USER_COLUMNS: Final = frozenset(
    {
        "id",
        "status",
        "is_active",
        "role_id",
        "email",
        "email_key",
        "username",
        "username_key",
        "first_name",
        "last_name",
        "display_name",
    }
)
"""The columns of ``users`` some filter reads; an update of others (a login's
``last_login``, failed attempts) leaves every count as it was."""
_FLAG = "identity_users_written"

_lock = threading.Lock()
_generations: dict[URL, int] = {}
_writers: dict[URL, int] = {}
_entries: dict[Hashable, tuple[int, float, int]] = {}


def changes_counts(statement: str) -> bool:
    """Whether ``statement`` may change how many accounts some listing counts."""
    return any(
        write.table in _WATCHED
        and (
            write.table != "users"
            or write.columns is None
            or bool(write.columns & _COUNTED_USER_COLUMNS)
        )
        for write in writes(statement)
    )


def _bump(url: URL) -> None:
    _generations[url] = _generations.get(url, 0) + 1


def _before_execute(
    conn: Any, _cursor: Any, statement: str, _parameters: Any, _context: Any, _many: bool
) -> None:
    if not changes_counts(statement):
        return
    url: URL = conn.engine.url
    info = conn.info
    with _lock:
        if _FLAG not in info:
            info[_FLAG] = url
            _writers[url] = _writers.get(url, 0) + 1
        _bump(url)


def _released(_dbapi_connection: Any, record: Any, *_args: Any) -> None:
    if record is None or _FLAG not in record.info:
        return
    with _lock:
        url = record.info.pop(_FLAG, None)
        if url is None:
            return
        _writers[url] = max(_writers.get(url, 0) - 1, 0)
        _bump(url)


event.listen(Engine, "before_cursor_execute", _before_execute)
for _name in ("checkin", "invalidate", "detach"):
    event.listen(Pool, _name, _released)


def generation(url: URL) -> int:
    return _generations.get(url, 0)


async def cached_total(
    url: URL,
    key: tuple[Hashable, ...],
    *,
    seconds: float,
    count: Callable[[], Awaitable[int]],
) -> int:
    """The total for ``key`` on the database ``url``: a fresh one from ``count`` unless an
    entry younger than ``seconds`` was counted since the last write that could change it."""
    if seconds <= 0:
        return await count()
    entry_key = (url, *key)
    now = time.monotonic()
    found = _entries.get(entry_key)
    if found is not None and found[0] == _generations.get(url, 0) and found[1] > now:
        return found[2]
    with _lock:
        started = _generations.get(url, 0)
        quiet = _writers.get(url, 0) == 0
    total = await count()
    if quiet and _generations.get(url, 0) == started:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[entry_key] = (started, now + seconds, total)
    return total
