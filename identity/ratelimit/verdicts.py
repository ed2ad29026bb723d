"""What spending a budget answers (``Verdict``), and the fixed windows' arithmetic shared by
the Redis and the in-memory counters."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from limits import RateLimitItem

KEY_PREFIX = "identity-rl"


class Verdict(NamedTuple):
    """The outcome of spending a budget, with what the limit headers say (a named tuple:
    built for every budget of every request, it costs a third of a frozen dataclass)."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: int
    window_seconds: int
    retry_after: int


def tightest(verdicts: Sequence[Verdict]) -> Verdict:
    """The refusal if any, else the budget with the least left (the soonest reset on a tie)."""
    if len(verdicts) == 1:
        return verdicts[0]
    if len(verdicts) == 2:  # ``_tightness`` compared field by field, without its tuples
        first, second = verdicts
        if first.allowed != second.allowed:
            return second if first.allowed else first
        if first.remaining != second.remaining:
            return first if first.remaining < second.remaining else second
        return first if first.reset_at <= second.reset_at else second
    return min(verdicts, key=_tightness)


def _tightness(verdict: Verdict) -> tuple[bool, int, int]:
    return verdict.allowed, verdict.remaining, verdict.reset_at


Spend = tuple[RateLimitItem, str, str, int]
"""One budget to spend: its item, its name, the key it is counted for, the cost."""


def fixed_counter(item: RateLimitItem, name: str, key: str, now: float) -> tuple[str, int]:
    """The counter of ``key``'s current window (window n covers [n·w, (n+1)·w)) and its end.
    The limit is in the name, as in ``limits``' keys: a changed limit counts afresh; the key
    is the hash tag, so the counters one request spends together share a Redis Cluster slot."""
    length = item.get_expiry()
    number = int(now // length)
    return f"{KEY_PREFIX}:{{{key}}}/{name}/{item.amount}/{length}/{number}", (number + 1) * length


def fixed_verdict(
    item: RateLimitItem, allowed: bool, reset: int, count: int, now: float
) -> Verdict:
    """The verdict of a fixed window ending at ``reset`` (after ``now``) holding ``count``."""
    amount = item.amount
    return Verdict(
        allowed,
        amount,
        amount - count if count < amount else 0,
        reset,
        item.get_expiry(),
        0 if allowed else max(1, math.ceil(reset - now)),
    )


def together(
    spends: Sequence[Spend],
    resets: Sequence[int],
    counts: Sequence[int],
    refused: bool,
    now: float,
) -> list[Verdict]:
    """The verdicts of spends checked together, from each counter's count: after the spend
    when every one had room, else as found (nothing spent; each says whether it had room)."""
    verdicts = []
    for (item, _, _, cost), reset, count in zip(spends, resets, counts, strict=True):
        fits = not refused or count + cost <= item.amount
        verdicts.append(fixed_verdict(item, fits, reset, count, now))
    return verdicts
