"""Spending rate budgets in Redis, shared by every replica, or in memory for one process.

Windows from the ``limits`` library: a moving window for the operation budgets (logins,
registrations, mail: few requests, where a burst at a window's edge matters), a fixed
window for the budgets every request spends (category, plan, GraphQL cost: the hot path,
where a moving window keeps one entry per unit spent, a 13,000-point GraphQL page included,
and ``limits``' memory storage hops to a thread per key on every spend to expire them).

With a Redis URL the counters live in Redis; if Redis stops answering, the limiter keeps
counting in this process's memory, logs once, and tries Redis again after
``retry_seconds``: a Redis outage makes limits per-replica for a while, it never turns them
off and never fails a request.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, TypeVar

from limits import RateLimitItem
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from identity.errors import RateLimited
from identity.networks import Network, parse_address, parse_networks, within
from identity.observability.metrics import RATE_LIMITED
from identity.ratelimit.budgets import FIXED_WINDOW, Budget, resolve

if TYPE_CHECKING:
    from identity.config import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
KEY_PREFIX = "identity-rl"
PRUNE_EVERY_SECONDS = 1.0

# The verdicts of the request being served, for its limit headers: the limiting middleware
# starts the list, every spend during the request (middleware, routes, services) joins it.
request_verdicts: ContextVar[list[Verdict] | None] = ContextVar("request_verdicts", default=None)


class Backend(StrEnum):
    """Where counters live now, as ``/health`` and ``/metrics`` report it."""

    MEMORY = "memory"
    CONNECTED = "connected"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of spending a budget, with what the limit headers say."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: int
    window_seconds: int
    retry_after: int


def tightest(verdicts: Sequence[Verdict]) -> Verdict:
    """The refusal if any, else the budget with the least left (the soonest reset on a tie)."""
    return min(verdicts, key=lambda v: (v.allowed, v.remaining, v.reset_at))


class Window(Protocol):
    """One way of counting a budget over one storage."""

    async def spend(self, item: RateLimitItem, name: str, key: str, cost: int) -> Verdict: ...
    async def peek(self, item: RateLimitItem, name: str, key: str, cost: int) -> Verdict: ...
    async def clear(self, item: RateLimitItem, name: str, key: str) -> None: ...


class _Moving:
    """``limits``' moving window: a refusal spends nothing, no burst at a window's edge."""

    def __init__(self, storage: Storage) -> None:
        self._limiter = MovingWindowRateLimiter(storage)

    async def spend(self, item: RateLimitItem, name: str, key: str, cost: int) -> Verdict:
        allowed = await self._limiter.hit(item, name, key, cost=cost)
        stats = await self._limiter.get_window_stats(item, name, key)
        return _verdict(item, allowed, stats.reset_time, stats.remaining)

    async def peek(self, item: RateLimitItem, name: str, key: str, cost: int) -> Verdict:
        allowed = await self._limiter.test(item, name, key, cost=cost)
        stats = await self._limiter.get_window_stats(item, name, key)
        return _verdict(item, allowed, stats.reset_time, stats.remaining)

    async def clear(self, item: RateLimitItem, name: str, key: str) -> None:
        await self._limiter.clear(item, name, key)


class _Fixed:
    """Fixed windows on the clock (window n covers [n·w, (n+1)·w)), over ``limits``' storage:
    spending is one increment-with-expiry whose answer says what remains, and the reset is
    the window's end, so a spend is one round trip to Redis (``limits``' own fixed window
    starts at the first spend and needs a second one for its expiry). A refused spend counts.
    In memory, ``_MemoryFixed`` counts the same windows."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    @staticmethod
    def _counter(item: RateLimitItem, name: str, key: str) -> tuple[str, float]:
        length = item.get_expiry()
        number = int(time.time() // length)
        return item.key_for(name, key, str(number)), float((number + 1) * length)

    async def spend(self, item: RateLimitItem, name: str, key: str, cost: int) -> Verdict:
        counter, reset = self._counter(item, name, key)
        count = await self._storage.incr(counter, item.get_expiry(), amount=cost)
        return _verdict(item, count <= item.amount, reset, item.amount - count)

    async def peek(self, item: RateLimitItem, name: str, key: str, cost: int) -> Verdict:
        counter, reset = self._counter(item, name, key)
        count = await self._storage.get(counter)
        return _verdict(item, count + cost <= item.amount, reset, item.amount - count)

    async def clear(self, item: RateLimitItem, name: str, key: str) -> None:
        await self._storage.clear(self._counter(item, name, key)[0])


class _MemoryFixed:
    """The same fixed windows counted in this process's memory.

    ``limits``' memory storage serialises each key behind an ``asyncio.Lock`` and, on every
    increment, schedules a task that walks all its keys to expire them: for the two budgets
    every request spends, most of what the limiter cost a request. Here a counter is a dict
    entry whose key names its window, so it needs no lock (nothing awaits between reading and
    writing it) and no expiry of its own: the counters of windows that ended are dropped
    together, at most once a second.
    """

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._ending: defaultdict[float, list[str]] = defaultdict(list)
        self._next_prune = 0.0

    @staticmethod
    def _counter(item: RateLimitItem, name: str, key: str) -> tuple[str, float]:
        length = item.get_expiry()
        number = int(time.time() // length)
        # The limit is in the name, as in ``limits``' keys: a changed limit counts afresh.
        return f"{name}/{item.amount}/{length}/{key}/{number}", float((number + 1) * length)

    def _prune(self) -> None:
        now = time.time()
        if now < self._next_prune:
            return
        self._next_prune = now + PRUNE_EVERY_SECONDS
        for end in [end for end in self._ending if end <= now]:
            for counter in self._ending.pop(end):
                self._counts.pop(counter, None)

    async def spend(self, item: RateLimitItem, name: str, key: str, cost: int) -> Verdict:
        self._prune()
        counter, reset = self._counter(item, name, key)
        count = self._counts.get(counter)
        if count is None:
            self._ending[reset].append(counter)
            count = 0
        count += cost
        self._counts[counter] = count
        return _verdict(item, count <= item.amount, reset, item.amount - count)

    async def peek(self, item: RateLimitItem, name: str, key: str, cost: int) -> Verdict:
        counter, reset = self._counter(item, name, key)
        count = self._counts.get(counter, 0)
        return _verdict(item, count + cost <= item.amount, reset, item.amount - count)

    async def clear(self, item: RateLimitItem, name: str, key: str) -> None:
        self._counts.pop(self._counter(item, name, key)[0], None)


Windows = tuple[Window, Window]
"""The moving and the fixed window over one storage."""


class Limiter:
    """Spends budgets per key; ``spend`` answers whether the request may go on."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Limiter:
        return cls(
            items=resolve(settings.rate_limits),
            redis_url=settings.redis_url,
            enabled=settings.rate_limits_enabled,
            exempt=parse_networks(settings.rate_limit_exempt, setting="IDENTITY_RATE_LIMIT_EXEMPT"),
        )

    def __init__(
        self,
        *,
        items: Mapping[Budget, RateLimitItem],
        redis_url: str | None = None,
        enabled: bool = True,
        retry_seconds: float = 5.0,
        redis_timeout_seconds: float = 0.5,
        exempt: tuple[Network, ...] = (),
    ) -> None:
        self.items = dict(items)
        self.enabled = enabled
        self.exempt = exempt
        self._overrides: Mapping[str, str] | None = None
        self._applied: Mapping[str, str] | None = None  # the very mapping last compared
        self.retry_seconds = retry_seconds
        self._memory: Windows = (_Moving(MemoryStorage()), _MemoryFixed())
        self._redis: Windows | None = None
        self._redis_storage: Storage | None = None
        self._down_until = 0.0
        if redis_url:
            self._redis_storage = RedisStorage(
                "async+" + redis_url,
                implementation="redispy",
                key_prefix=KEY_PREFIX,
                wrap_exceptions=True,
                socket_timeout=redis_timeout_seconds,
                socket_connect_timeout=redis_timeout_seconds,
            )
            self._redis = (_Moving(self._redis_storage), _Fixed(self._redis_storage))

    @property
    def backend(self) -> Backend:
        if self._redis is None:
            return Backend.MEMORY
        return Backend.UNREACHABLE if self._down_until else Backend.CONNECTED

    def exempts(self, address: str | None) -> bool:
        """Whether ``address`` is one the operator exempted (it spends no budget at all)."""
        if not self.exempt or not address:
            return False
        parsed = parse_address(address)
        return parsed is not None and within(parsed, self.exempt)

    def use(self, overrides: Mapping[str, str]) -> None:
        """Apply the budgets of the runtime setting ``rate_limits`` (validated when it was
        set); a no-op while they are the ones applied last. A changed limit counts afresh
        (``limits`` keys its counters by the limit)."""
        if overrides is self._applied or overrides == self._overrides:
            self._applied = overrides
            return
        self.items = resolve(overrides)
        self._overrides = dict(overrides)
        self._applied = overrides

    async def spend(self, budget: Budget, key: str, *, cost: int = 1) -> Verdict:
        """Spend ``cost`` of ``budget`` for ``key`` (a refusal spends nothing in a moving
        window, and counts in a fixed one). Disabled: every spend is allowed, none counted."""
        item = self.items[budget]
        if not self.enabled:
            return _unlimited(item)

        async def run(window: Window) -> Verdict:
            return await window.spend(item, budget.value, key, cost)

        verdict = await self._run(budget, run)
        if not verdict.allowed:
            RATE_LIMITED.labels(budget.value).inc()
        collected = request_verdicts.get()
        if collected is not None:
            collected.append(verdict)
        return verdict

    async def charge(self, budget: Budget, key: str, *, cost: int = 1) -> Verdict:
        """Spend, or raise RateLimited with the seconds until the budget allows it again."""
        verdict = await self.spend(budget, key, cost=cost)
        if not verdict.allowed:
            raise RateLimited(retry_after=verdict.retry_after)
        return verdict

    async def peek(self, budget: Budget, key: str, *, cost: int = 1) -> Verdict:
        """What spending ``cost`` would answer, spending nothing."""
        item = self.items[budget]
        if not self.enabled:
            return _unlimited(item)

        async def run(window: Window) -> Verdict:
            return await window.peek(item, budget.value, key, cost)

        return await self._run(budget, run)

    async def clear(self, budget: Budget, key: str) -> None:
        """Forget what ``key`` spent of ``budget`` (an operator's unlock)."""
        item = self.items[budget]

        async def run(window: Window) -> None:
            await window.clear(item, budget.value, key)

        await self._run(budget, run)

    async def _run(self, budget: Budget, operation: Callable[[Window], Awaitable[T]]) -> T:
        kind = 1 if budget in FIXED_WINDOW else 0
        redis = self._redis
        if redis is None or time.monotonic() < self._down_until:
            return await operation(self._memory[kind])
        try:
            result = await operation(redis[kind])
        except StorageError as error:
            if not self._down_until:
                log.warning("rate limits: Redis unreachable, counting in memory: %s", error)
            self._down_until = time.monotonic() + self.retry_seconds
            return await operation(self._memory[kind])
        if self._down_until:
            log.warning("rate limits: Redis reachable again, counting there")
            self._down_until = 0.0
        return result

    async def check(self) -> Backend:
        """Ping Redis now (for ``/health``); a Redis answering again is used again at once."""
        if self._redis_storage is None:
            return Backend.MEMORY
        try:
            reachable = await self._redis_storage.check()
        except Exception:
            reachable = False
        if reachable:
            self._down_until = 0.0
            return Backend.CONNECTED
        if not self._down_until:
            log.warning("rate limits: Redis unreachable, counting in memory")
        self._down_until = time.monotonic() + self.retry_seconds
        return Backend.UNREACHABLE

    async def aclose(self) -> None:
        """Close the Redis connection pool (the ``limits`` storage does not offer it)."""
        if self._redis_storage is not None:
            bridge = getattr(self._redis_storage, "bridge", None)
            storage = getattr(bridge, "storage", None)
            if storage is not None:
                await storage.aclose()


def _unlimited(item: RateLimitItem) -> Verdict:
    """What a disabled limiter answers: allowed, nothing counted."""
    return Verdict(True, item.amount, item.amount, 0, item.get_expiry(), 0)


def _verdict(item: RateLimitItem, allowed: bool, reset_time: float, remaining: int) -> Verdict:
    now = time.time()
    reset_at = math.ceil(reset_time) if reset_time > now else math.ceil(now)
    return Verdict(
        allowed=allowed,
        limit=item.amount,
        remaining=max(0, remaining),
        reset_at=reset_at,
        window_seconds=item.get_expiry(),
        retry_after=0 if allowed else max(1, math.ceil(reset_time - now)),
    )
