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
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, overload

from limits import RateLimitItem
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from identity.errors import RateLimited
from identity.networks import Network, parse_address, parse_networks, within
from identity.observability.metrics import RATE_LIMITED
from identity.ratelimit.budgets import FIXED_WINDOW, Budget, resolve
from identity.ratelimit.memory_windows import FixedSpec, MemoryFixed, fixed_spec
from identity.ratelimit.verdicts import KEY_PREFIX, Spend, Verdict

if TYPE_CHECKING:
    from identity.config import Settings
    from identity.ratelimit.pipe import RedisPipe
    from identity.ratelimit.redis_windows import RedisFixed

log = logging.getLogger(__name__)
T = TypeVar("T")

# The verdicts of the request being served, for its limit headers: the limiting middleware
# starts the list, every spend during the request (middleware, routes, services) joins it.
request_verdicts: ContextVar[list[Verdict] | None] = ContextVar("request_verdicts", default=None)


class Backend(StrEnum):
    """Where counters live now, as ``/health`` and ``/metrics`` report it."""

    MEMORY = "memory"
    CONNECTED = "connected"
    UNREACHABLE = "unreachable"


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
        return _verdict(item, allowed, stats.reset_time, stats.remaining, time.time())

    async def peek(self, item: RateLimitItem, name: str, key: str, cost: int) -> Verdict:
        allowed = await self._limiter.test(item, name, key, cost=cost)
        stats = await self._limiter.get_window_stats(item, name, key)
        return _verdict(item, allowed, stats.reset_time, stats.remaining, time.time())

    async def clear(self, item: RateLimitItem, name: str, key: str) -> None:
        await self._limiter.clear(item, name, key)


class FixedWindow(Window, Protocol):
    """Fixed windows, which also spend several budgets together (all or none)."""

    async def spend_many(self, spends: Sequence[Spend], now: float) -> list[Verdict]: ...


Windows = tuple[Window, FixedWindow]
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
        self._specs: dict[tuple[Budget, ...], tuple[FixedSpec, ...]] = {}
        self._repeating: set[tuple[FixedSpec, ...]] = set()  # specs naming a budget twice
        self._specs_of: dict[Budget, RateLimitItem] = self.items  # the items specs are of
        self.retry_seconds = retry_seconds
        self._memory_fixed = MemoryFixed()
        self._memory: Windows = (_Moving(MemoryStorage()), self._memory_fixed)
        self._redis: Windows | None = None
        self._redis_fixed: RedisFixed | None = None
        self._redis_storage: RedisStorage | None = None
        self._pipe: RedisPipe | None = None
        self._down_until = 0.0
        if redis_url:
            # Imported here: redis-py costs ~4 MB of memory in a server with no Redis.
            from identity.ratelimit.pipe import RedisPipe, usable
            from identity.ratelimit.redis_windows import RedisFixed

            self._redis_storage = RedisStorage(
                "async+" + redis_url,
                implementation="redispy",
                key_prefix=KEY_PREFIX,
                wrap_exceptions=True,
                socket_timeout=redis_timeout_seconds,
                socket_connect_timeout=redis_timeout_seconds,
            )
            self._pipe = (
                RedisPipe(redis_url, timeout=redis_timeout_seconds) if usable(redis_url) else None
            )
            self._redis_fixed = RedisFixed(self._redis_storage, self._pipe)
            self._redis = (_Moving(self._redis_storage), self._redis_fixed)

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
        """Spend ``cost`` of ``budget`` for ``key`` (a refusal spends nothing, in either
        window). Disabled: every spend is allowed, none counted."""
        item = self.items[budget]
        if not self.enabled:
            return _unlimited(item)

        async def run(window: Window) -> Verdict:
            return await window.spend(item, budget.value, key, cost)

        verdict = await self._run(budget in FIXED_WINDOW, run)
        self._note([verdict], (budget,))
        return verdict

    def _fixed_specs(self, budgets: Sequence[Budget]) -> tuple[FixedSpec, ...]:
        """The specs of ``budgets`` under the items applied now, built once per set of limits."""
        if self.items is not self._specs_of:
            self._specs = {}
            self._repeating = set()
            self._specs_of = self.items
        wanted = budgets if type(budgets) is tuple else tuple(budgets)
        specs = self._specs.get(wanted)
        if specs is None:
            for budget in wanted:
                if budget not in FIXED_WINDOW:
                    raise ValueError(f"{budget.value} is not counted in a fixed window")
            specs = tuple(fixed_spec(self.items[budget], budget.value) for budget in wanted)
            self._specs[wanted] = specs
            if len(set(wanted)) < len(wanted):
                self._repeating.add(specs)
        return specs

    def _spend_in_memory(self, budgets: Sequence[Budget], key: str) -> list[Verdict]:
        specs = self._fixed_specs(budgets)
        if self._repeating and specs in self._repeating:
            spends = [(item, name, key, 1) for item, name, _, _, _ in specs]
            return self._memory_fixed.spend_now(spends, time.time())
        return self._memory_fixed.spend_request(specs, key, time.time())

    def spend_all_now(self, budgets: Sequence[Budget], key: str) -> list[Verdict] | None:
        """``spend_all`` without a coroutine when counters live in memory only (nothing
        awaits there); None when there is Redis to ask (call ``spend_all``)."""
        if self._redis is not None or not self.enabled:
            return None
        return self._settle(self._spend_in_memory(budgets, key), budgets)

    async def spend_all(self, budgets: Sequence[Budget], key: str) -> list[Verdict]:
        """Spend one of each of ``budgets`` (fixed windows: the ones every request spends)
        for ``key`` together, in one round trip to Redis: all of them when each has room,
        else none (each verdict then says whether its own budget had room). Disabled: every
        spend is allowed, none counted."""
        if not self.enabled:
            return [_unlimited(self.items[budget]) for budget in budgets]
        redis = self._redis_fixed
        if redis is None or time.monotonic() < self._down_until:
            verdicts = self._spend_in_memory(budgets, key)
        else:
            try:
                verdicts = await redis.spend_request(self._fixed_specs(budgets), key, time.time())
            except StorageError as error:
                self._fell(error)
                verdicts = self._spend_in_memory(budgets, key)
            else:
                if self._down_until:
                    self._recovered()
        return self._settle(verdicts, budgets)

    def _settle(self, verdicts: list[Verdict], budgets: Sequence[Budget]) -> list[Verdict]:
        """The request's verdicts joined (its headers), a refusal counted on ``/metrics``."""
        for verdict in verdicts:
            if not verdict.allowed:
                self._note(verdicts, budgets)
                return verdicts
        collected = request_verdicts.get()
        if collected is not None:
            collected.extend(verdicts)
        return verdicts

    @staticmethod
    def _note(verdicts: Sequence[Verdict], budgets: Sequence[Budget]) -> None:
        """Count refusals on ``/metrics``; verdicts join the request's (its headers)."""
        for verdict, budget in zip(verdicts, budgets, strict=True):
            if not verdict.allowed:
                RATE_LIMITED.labels(budget.value).inc()
        collected = request_verdicts.get()
        if collected is not None:
            collected.extend(verdicts)

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

        return await self._run(budget in FIXED_WINDOW, run)

    async def clear(self, budget: Budget, key: str) -> None:
        """Forget what ``key`` spent of ``budget`` (an operator's unlock)."""
        item = self.items[budget]

        async def run(window: Window) -> None:
            await window.clear(item, budget.value, key)

        await self._run(budget in FIXED_WINDOW, run)

    @overload
    async def _run(
        self, fixed: Literal[True], operation: Callable[[FixedWindow], Awaitable[T]]
    ) -> T: ...
    @overload
    async def _run(self, fixed: bool, operation: Callable[[Window], Awaitable[T]]) -> T: ...
    async def _run(self, fixed: bool, operation: Callable[[Any], Awaitable[T]]) -> T:
        kind = 1 if fixed else 0
        redis = self._redis
        if redis is None or time.monotonic() < self._down_until:
            return await operation(self._memory[kind])
        try:
            result = await operation(redis[kind])
        except StorageError as error:
            self._fell(error)
            return await operation(self._memory[kind])
        if self._down_until:
            self._recovered()
        return result

    def _fell(self, error: StorageError) -> None:
        """Redis failed a call: count in memory for ``retry_seconds`` (logged once)."""
        if not self._down_until:
            log.warning("rate limits: Redis unreachable, counting in memory: %s", error)
        self._down_until = time.monotonic() + self.retry_seconds

    def _recovered(self) -> None:
        log.warning("rate limits: Redis reachable again, counting there")
        self._down_until = 0.0

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
        if self._pipe is not None:
            self._pipe.close()
        if self._redis_storage is not None:
            bridge = getattr(self._redis_storage, "bridge", None)
            storage = getattr(bridge, "storage", None)
            if storage is not None:
                await storage.aclose()


def _unlimited(item: RateLimitItem) -> Verdict:
    """What a disabled limiter answers: allowed, nothing counted."""
    return Verdict(True, item.amount, item.amount, 0, item.get_expiry(), 0)


def _verdict(
    item: RateLimitItem, allowed: bool, reset_time: float, remaining: int, now: float
) -> Verdict:
    reset_at = math.ceil(reset_time) if reset_time > now else math.ceil(now)
    return Verdict(
        allowed=allowed,
        limit=item.amount,
        remaining=max(0, remaining),
        reset_at=reset_at,
        window_seconds=item.get_expiry(),
        retry_after=0 if allowed else max(1, math.ceil(reset_time - now)),
    )
