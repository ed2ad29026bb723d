"""Fixed windows counted in this process's memory (the limiter's store without Redis)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence

from limits import RateLimitItem

from identity.ratelimit.verdicts import (
    Spend,
    Verdict,
    fixed_counter,
    fixed_verdict,
    together,
)

PRUNE_EVERY_SECONDS = 1.0


FixedSpec = tuple[RateLimitItem, str, int, int, str]
"""A fixed-window budget as a request spends it: its item, name, amount, window length, and
the ``name/amount/length`` part of its counters (built once per limits applied)."""


def fixed_spec(item: RateLimitItem, name: str) -> FixedSpec:
    length = item.get_expiry()
    return item, name, item.amount, length, f"{name}/{item.amount}/{length}"


class MemoryFixed:
    """The same fixed windows counted in this process's memory.

    ``limits``' memory storage serialises each key behind an ``asyncio.Lock`` and, on every
    increment, schedules a task that walks all its keys to expire them: for the budgets
    every request spends, most of what the limiter cost a request. Here a counter is a dict
    entry whose key names its window (``(key, name/amount/length, window number)``: a
    changed limit counts afresh), so it needs no lock (nothing awaits between reading and
    writing it) and no expiry of its own: the counters of windows that ended are dropped
    together, at most once a second.
    """

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str, int], int] = {}
        self._ending: defaultdict[int, list[tuple[str, str, int]]] = defaultdict(list)
        self._next_prune = 0.0

    def _prune(self, now: float) -> None:
        self._next_prune = now + PRUNE_EVERY_SECONDS
        for end in [end for end in self._ending if end <= now]:
            for counter in self._ending.pop(end):
                self._counts.pop(counter, None)

    def spend_request(self, specs: Sequence[FixedSpec], key: str, now: float) -> list[Verdict]:
        """One of each budget of ``specs`` (distinct budgets: ``Limiter._spend_in_memory``
        sends a budget named twice to ``spend_now``, which counts it once) for ``key``, all or none
        (``spend_many``'s rule): each spent as it is checked, those spent taken back when one
        has no room (nothing awaits, so no one sees them meanwhile)."""
        if now >= self._next_prune:
            self._prune(now)
        counts = self._counts
        verdicts: list[Verdict] = []
        for _, _, amount, length, tag in specs:
            number = int(now // length)
            counter = (key, tag, number)
            count = counts.get(counter, 0)
            if count >= amount:
                return self._refused(specs[: len(verdicts)], specs, key, now)
            reset = (number + 1) * length
            if not count:
                self._ending[reset].append(counter)
            counts[counter] = count + 1
            verdicts.append(Verdict(True, amount, amount - count - 1, reset, length, 0))
        return verdicts

    def _refused(
        self, spent: Sequence[FixedSpec], specs: Sequence[FixedSpec], key: str, now: float
    ) -> list[Verdict]:
        """Take back ``spent``, then the verdicts of ``specs`` as found (one has no room)."""
        counts = self._counts
        for _, _, _, length, tag in spent:
            counter = (key, tag, int(now // length))
            count = counts[counter] - 1
            if count:
                counts[counter] = count
            else:
                del counts[counter]
        return self.spend_now([(item, name, key, 1) for item, name, _, _, _ in specs], now)

    def spend_now(self, spends: Sequence[Spend], now: float) -> list[Verdict]:
        """``spend_many`` without a coroutine (nothing here awaits)."""
        if now >= self._next_prune:
            self._prune(now)
        counts = self._counts
        found = []
        room = True
        for item, name, key, cost in spends:
            _, _, amount, length, tag = fixed_spec(item, name)
            number = int(now // length)
            counter = (key, tag, number)
            count = counts.get(counter, 0)
            found.append((counter, (number + 1) * length, count, length))
            if count + cost > amount:
                room = False
        if not room:
            resets = [reset for _, reset, _, _ in found]
            return together(spends, resets, [count for _, _, count, _ in found], True, now)
        verdicts = []
        for (item, _, _, cost), (counter, reset, count, length) in zip(spends, found, strict=True):
            if not count:
                self._ending[reset].append(counter)
            counts[counter] = count = count + cost
            amount = item.amount
            left = amount - count if count < amount else 0
            verdicts.append(Verdict(True, amount, left, reset, length, 0))
        return verdicts

    async def spend_many(self, spends: Sequence[Spend], now: float) -> list[Verdict]:
        return self.spend_now(spends, now)

    async def spend(self, item: RateLimitItem, name: str, key: str, cost: int) -> Verdict:
        return (await self.spend_many([(item, name, key, cost)], time.time()))[0]

    def _counter(
        self, item: RateLimitItem, name: str, key: str, now: float
    ) -> tuple[str, str, int]:
        length = item.get_expiry()
        return key, fixed_spec(item, name)[4], int(now // length)

    async def peek(self, item: RateLimitItem, name: str, key: str, cost: int) -> Verdict:
        now = time.time()
        reset = fixed_counter(item, name, key, now)[1]
        count = self._counts.get(self._counter(item, name, key, now), 0)
        return fixed_verdict(item, count + cost <= item.amount, reset, count, now)

    async def clear(self, item: RateLimitItem, name: str, key: str) -> None:
        self._counts.pop(self._counter(item, name, key, time.time()), None)
