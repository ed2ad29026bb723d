"""Snapshots of callers, kept in this process between requests, trusted only while every
change to them is known to reach this process (see ``identity.invalidation``).

Correctness rests on three rules:

- an entry is served only while the cache is ``usable``: enabled, its invalidation channel
  up, and no write of this process still waiting for its own invalidations to come back;
- every invalidation (and every change of channel state) bumps ``generation``, and a reader
  stores what it read only when the generation is still the one it saw before reading: a
  read that started before a commit cannot store the old state after the commit's
  invalidation has arrived;
- the TTL is a safety net, not the mechanism.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import attributes, instrumentation

from identity.models import User
from identity.observability.metrics import PRINCIPAL_CACHE
from identity.principal import Holding

DEFAULT_SIZE = 10_000
DEFAULT_TTL_SECONDS = 60.0
UNSETTLED_LIMIT_SECONDS = 10.0
CHANNEL = "identity_principal"
"""The PostgreSQL NOTIFY channel; payloads ``session:<id>``, ``user:<id>``, ``all`` (the
triggers of migration 0014) and ``fence:<process token>:<n>`` (``channel``)."""

_USER_FIELDS = tuple(prop.key for prop in User.__mapper__.column_attrs)  # type: ignore[attr-defined]
_USER_MANAGER = instrumentation.manager_of_class(User)

_HoldingKey = tuple[uuid.UUID, uuid.UUID | None]

_HIT = PRINCIPAL_CACHE.labels("hit")
_MISS = PRINCIPAL_CACHE.labels("miss")
_BYPASS = PRINCIPAL_CACHE.labels("bypass")


@dataclass(frozen=True, slots=True)
class CallerRow:
    """What ``authenticate``'s one statement reads: the account and its session's state."""

    user: User
    revoked_at: datetime | None
    expires_at: datetime
    tenant_id: uuid.UUID | None
    tenant_active: bool | None
    member: bool


@dataclass(frozen=True, slots=True)
class _Entry:
    user_id: uuid.UUID
    key: Any
    values: tuple[Any, ...]
    revoked_at: datetime | None
    expires_at: datetime
    tenant_id: uuid.UUID | None
    tenant_active: bool | None
    member: bool
    stored_at: float


def user_values(user: User) -> tuple[Any, ...]:
    """The account's column values, copied out of the ORM object read from the database."""
    loaded = user.__dict__
    return tuple(loaded.get(name) for name in _USER_FIELDS)


def identity_key(user_id: uuid.UUID) -> Any:
    return User.__mapper__.identity_key_from_primary_key([user_id])  # type: ignore[attr-defined]


def fresh_user(values: tuple[Any, ...], key: Any = None) -> User:
    """A new detached User holding ``values``, as if just read by a session now closed.

    Each request gets its own object: nothing a request does to its ``principal.user``
    (attach it to a session, change an attribute) reaches another request or the cache.
    """
    user: User = _USER_MANAGER.new_instance()
    state = attributes.instance_state(user)
    state.dict.update(zip(_USER_FIELDS, values, strict=True))
    state.key = identity_key(values[0]) if key is None else key
    return user


class PrincipalCache:
    """Callers by session id and holdings by (user, tenant), bounded (LRU) and aged (TTL)."""

    def __init__(
        self,
        *,
        enabled: bool,
        size: int = DEFAULT_SIZE,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.enabled = enabled
        self._size = size
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._online = False
        self._gate: Callable[[], bool] | None = None
        self._generation = 0
        self._writes = 0
        self._unsettled: dict[int, float] = {}
        self._unfenced = 0
        self._fence_sent = 0
        self._fence_seen = 0
        self._echo: asyncio.Event | None = None
        self._told: tuple[Callable[[], int], Callable[[int], None]] | None = None
        self._callers: OrderedDict[uuid.UUID, _Entry] = OrderedDict()
        self._sessions_of: dict[uuid.UUID, set[uuid.UUID]] = {}
        self._holdings: OrderedDict[_HoldingKey, tuple[float, Holding]] = OrderedDict()
        self._tenants_of: dict[uuid.UUID, set[uuid.UUID | None]] = {}

    @property
    def online(self) -> bool:
        return self._online

    @property
    def usable(self) -> bool:
        """Entries may be served and stored: channel up, no own write awaiting its echo."""
        if not (self.enabled and self._online):
            return False
        if self._gate is not None and not self._gate():
            self.flush()
            return False
        if self._unsettled and not self._prune_unsettled():
            return False
        return self._unfenced == 0 and self._fence_seen >= self._fence_sent

    @property
    def held_by_own_writes(self) -> bool:
        """Up, but a write of this process has not had its echo yet (``until_echoed``)."""
        if self._unsettled:
            self._prune_unsettled()
        return (
            self.enabled
            and self._online
            and bool(self._unsettled or self._unfenced or self._fence_seen < self._fence_sent)
        )

    async def until_echoed(self, limit: float) -> None:
        """Wait, at most ``limit`` seconds, for this process's writes to be echoed.

        A request right after a write of this process waits about one round trip for the
        echo instead of reading the database (about one round trip too); then what it finds
        does not depend on how far the listener had got, and the database is spared.
        """
        if self._echo is None:
            self._echo = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(limit):
                while self.held_by_own_writes:
                    self._echo.clear()
                    await self._echo.wait()

    def _changed(self) -> None:
        if self._echo is not None:
            self._echo.set()

    @property
    def generation(self) -> int:
        """Read before reading the database; ``store`` refuses if it moved meanwhile."""
        return self._generation

    def __len__(self) -> int:
        return len(self._callers)

    # Reading and storing.

    def caller(self, session_id: uuid.UUID, user_id: uuid.UUID) -> CallerRow | None:
        if not self.usable:
            if self.enabled:
                _BYPASS.inc()
            return None
        entry = self._callers.get(session_id)
        if entry is None or entry.user_id != user_id:
            _MISS.inc()
            return None
        if self._monotonic() - entry.stored_at > self._ttl:
            self._drop(session_id)
            _MISS.inc()
            return None
        self._callers.move_to_end(session_id)
        _HIT.inc()
        return CallerRow(
            user=fresh_user(entry.values, entry.key),
            revoked_at=entry.revoked_at,
            expires_at=entry.expires_at,
            tenant_id=entry.tenant_id,
            tenant_active=entry.tenant_active,
            member=entry.member,
        )

    def store(self, generation: int, session_id: uuid.UUID, row: CallerRow) -> None:
        if generation != self._generation or not self.usable:
            return
        user_id = row.user.id
        self._drop(session_id)
        self._callers[session_id] = _Entry(
            user_id=user_id,
            key=identity_key(user_id),
            values=user_values(row.user),
            revoked_at=row.revoked_at,
            expires_at=row.expires_at,
            tenant_id=row.tenant_id,
            tenant_active=row.tenant_active,
            member=row.member,
            stored_at=self._monotonic(),
        )
        self._sessions_of.setdefault(user_id, set()).add(session_id)
        while len(self._callers) > self._size:
            self._drop(next(iter(self._callers)))

    def holding(self, user_id: uuid.UUID, tenant_id: uuid.UUID | None) -> Holding | None:
        if not self.usable:
            return None
        key = (user_id, tenant_id)
        found = self._holdings.get(key)
        if found is None:
            return None
        if self._monotonic() - found[0] > self._ttl:
            self._drop_holding(key)
            return None
        self._holdings.move_to_end(key)
        return found[1]

    def store_holding(
        self, generation: int, user_id: uuid.UUID, tenant_id: uuid.UUID | None, held: Holding
    ) -> None:
        if generation != self._generation or not self.usable:
            return
        key = (user_id, tenant_id)
        self._holdings[key] = (self._monotonic(), held)
        self._holdings.move_to_end(key)
        self._tenants_of.setdefault(user_id, set()).add(tenant_id)
        while len(self._holdings) > self._size:
            self._drop_holding(next(iter(self._holdings)))

    # Invalidation.

    def invalidate(self, payload: str) -> None:
        """Apply one notification: ``session:<id>``, ``user:<id>`` or anything else (all)."""
        self._generation += 1
        kind, _, value = payload.partition(":")
        try:
            target = uuid.UUID(value) if kind in ("session", "user") else None
        except ValueError:
            target = None
        if target is None:
            self.flush()
        elif kind == "session":
            self._drop(target)
        else:
            for session_id in list(self._sessions_of.get(target, ())):
                self._drop(session_id)
            for tenant_id in list(self._tenants_of.get(target, ())):
                self._drop_holding((target, tenant_id))

    def flush(self) -> None:
        self._generation += 1
        self._callers.clear()
        self._sessions_of.clear()
        self._holdings.clear()
        self._tenants_of.clear()

    def went_online(self) -> None:
        """The channel is (again) up and listening: whatever was missed meanwhile is dropped."""
        self.flush()
        self._unfenced = 0
        self._fence_seen = self._fence_sent
        self._online = True
        self._changed()

    def gate_with(self, gate: Callable[[], bool] | None) -> None:
        """A check asked before each use; when it fails everything is dropped (SQLite: this
        process is no longer the only one on the file, ``identity.invalidation.sole``)."""
        self._gate = gate

    def went_offline(self) -> None:
        self._online = False
        self.flush()
        self._changed()

    # This process's own writes (``identity.invalidation.local``), PostgreSQL.

    def write_committing(self) -> int:
        """A write of this process is committing: hold the cache until it has settled and
        a fence sent after it has come back (so its own notifications were applied)."""
        self._generation += 1
        self._writes += 1
        self._unsettled[self._writes] = self._monotonic()
        return self._writes

    def write_settled(self, write: int) -> None:
        """Its COMMIT has returned: its notifications are queued before any later fence."""
        self._unsettled.pop(write, None)
        self._unfenced += 1
        self._changed()

    def tell_own_writes(
        self, committed: Callable[[], int] | None, settled: Callable[[int], None] | None
    ) -> None:
        """What ``own_write`` calls: the channel's ``committed`` and ``settled``, the very
        ones its engine hooks (``local.LocalWrites``) call (None: no channel, nothing)."""
        self._told = None if committed is None or settled is None else (committed, settled)

    @contextlib.contextmanager
    def own_write(self) -> Iterator[None]:
        """Around a write of this process the engine's hooks do not see (a statement on the
        driver, committed as it returns, ``identity.db_driver``): ``committed`` before it is
        sent, ``settled`` once it has returned or failed, as ``LocalWrites`` does around a
        COMMIT. The cache is held from the start until the write's own notifications have
        come back, so this process never serves what the write changed."""
        told = self._told
        if told is None:
            yield
            return
        write = told[0]()
        try:
            yield
        finally:
            told[1](write)

    @property
    def fence_due(self) -> bool:
        return self._unfenced > 0

    def next_fence(self) -> int:
        """The number of a fence about to be sent; it covers every write settled so far."""
        self._unfenced = 0
        self._fence_sent += 1
        return self._fence_sent

    def fence_arrived(self, number: int) -> None:
        self._fence_seen = max(self._fence_seen, number)
        self._changed()

    def _prune_unsettled(self) -> bool:
        """Forget writes that never went back to the pool (a connection lost after COMMIT)
        once their COMMIT is long over; True when none is left."""
        oldest = self._monotonic() - UNSETTLED_LIMIT_SECONDS
        for write, started in list(self._unsettled.items()):
            if started < oldest:
                self.write_settled(write)
        return not self._unsettled

    def _drop(self, session_id: uuid.UUID) -> None:
        entry = self._callers.pop(session_id, None)
        if entry is None:
            return
        sessions = self._sessions_of.get(entry.user_id)
        if sessions is not None:
            sessions.discard(session_id)
            if not sessions:
                del self._sessions_of[entry.user_id]

    def _drop_holding(self, key: _HoldingKey) -> None:
        self._holdings.pop(key, None)
        tenants = self._tenants_of.get(key[0])
        if tenants is not None:
            tenants.discard(key[1])
            if not tenants:
                del self._tenants_of[key[0]]
