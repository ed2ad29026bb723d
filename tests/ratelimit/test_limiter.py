"""The limiter on both stores: counts, atomicity, sharing between replicas, Redis outages."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator

import pytest

from identity.errors import ConfigurationError, RateLimited
from identity.ratelimit import Backend, Budget, Limiter, Verdict, resolve
from identity.ratelimit.limiter import request_verdicts
from tests.support.redis import RedisServer


def limiter_for(redis_url: str | None, **overrides: str) -> Limiter:
    """A limiter whose Redis calls wait up to 5 s: on a loaded machine the product's 0.5 s
    lets a call fall back to memory, which counts apart (by design, during an outage)."""
    return Limiter(
        items=resolve(overrides), redis_url=redis_url, retry_seconds=0.2, redis_timeout_seconds=5.0
    )


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[Limiter]:
    url = request.getfixturevalue("redis_server").url if request.param == "redis" else None
    made = limiter_for(url, login="3/hour")
    yield made
    await made.aclose()


def fresh_key() -> str:
    return uuid.uuid4().hex


def backend_of(limiter: Limiter) -> Backend:
    """The limiter's backend now (read afresh: it changes between two reads in a test)."""
    return limiter.backend


async def test_a_budget_is_spent_then_refused_with_its_figures(limiter: Limiter) -> None:
    key = fresh_key()
    verdicts = [await limiter.spend(Budget.LOGIN, key) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert [v.remaining for v in verdicts] == [2, 1, 0, 0]
    refused = verdicts[-1]
    assert refused.limit == 3
    assert refused.window_seconds == 3600
    assert 3590 <= refused.retry_after <= 3600
    assert verdicts[0].retry_after == 0


async def test_a_refusal_spends_nothing_and_keys_are_apart(limiter: Limiter) -> None:
    key, other = fresh_key(), fresh_key()
    for _ in range(3):
        await limiter.spend(Budget.LOGIN, key)
    for _ in range(5):
        assert not (await limiter.spend(Budget.LOGIN, key)).allowed
    assert (await limiter.peek(Budget.LOGIN, key)).remaining == 0
    assert (await limiter.spend(Budget.LOGIN, other)).remaining == 2
    assert (await limiter.spend(Budget.REGISTER, key)).allowed


async def test_parallel_spends_never_exceed_the_budget(limiter: Limiter) -> None:
    key = fresh_key()
    verdicts = await asyncio.gather(*(limiter.spend(Budget.LOGIN, key) for _ in range(40)))
    assert sum(v.allowed for v in verdicts) == 3


async def test_peek_and_clear(limiter: Limiter) -> None:
    key = fresh_key()
    await limiter.spend(Budget.LOGIN, key, cost=3)
    assert not (await limiter.peek(Budget.LOGIN, key)).allowed
    await limiter.clear(Budget.LOGIN, key)
    assert (await limiter.peek(Budget.LOGIN, key)).remaining == 3


async def test_a_window_ends(redis_server: RedisServer) -> None:
    for url in (None, redis_server.url):
        limiter = limiter_for(url, login="2/second")
        key = fresh_key()
        await limiter.spend(Budget.LOGIN, key, cost=2)
        assert not (await limiter.spend(Budget.LOGIN, key)).allowed
        await asyncio.sleep(1.1)
        assert (await limiter.spend(Budget.LOGIN, key)).allowed
        await limiter.aclose()


async def test_two_replicas_on_one_redis_share_every_budget(redis_server: RedisServer) -> None:
    first = limiter_for(redis_server.url, login="3/hour")
    second = limiter_for(redis_server.url, login="3/hour")
    key = fresh_key()
    await first.spend(Budget.LOGIN, key, cost=2)
    assert (await second.spend(Budget.LOGIN, key)).remaining == 0
    assert not (await first.spend(Budget.LOGIN, key)).allowed
    assert first.backend is Backend.CONNECTED
    await first.aclose()
    await second.aclose()


async def test_redis_going_away_falls_back_to_memory_and_recovers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = RedisServer()
    server.start()
    limiter = limiter_for(server.url, login="3/hour")
    key = fresh_key()
    try:
        assert (await limiter.spend(Budget.LOGIN, key)).allowed
        server.stop()
        with caplog.at_level(logging.WARNING, logger="identity.ratelimit.limiter"):
            verdicts = [await limiter.spend(Budget.LOGIN, key) for _ in range(4)]
        assert [v.allowed for v in verdicts] == [True, True, True, False]
        assert limiter.backend is Backend.UNREACHABLE
        assert sum("Redis unreachable" in r.message for r in caplog.records) == 1
        server.start()
        await asyncio.sleep(0.3)
        # Back on Redis, which restarted empty (no persistence in the tests).
        assert (await limiter.spend(Budget.LOGIN, key)).remaining == 2
        assert backend_of(limiter) is Backend.CONNECTED
    finally:
        await limiter.aclose()
        server.destroy()


async def test_without_redis_the_backend_is_memory() -> None:
    assert limiter_for(None).backend is Backend.MEMORY


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"login": "ten per minute"}, "'login'"),
        ({"login": "0/minute"}, "at least 1"),
        ({"logins": "5/minute"}, "unknown budget 'logins'"),
    ],
)
def test_bad_limits_are_refused_naming_the_budget(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        resolve(overrides)


def test_every_budget_has_a_default() -> None:
    items = resolve({})
    assert set(items) == set(Budget)
    assert items[Budget.LOGIN].amount == 10
    assert items[Budget.LOGIN].get_expiry() == 900


async def test_charge_raises_with_the_wait_and_verdicts_join_the_request(
    limiter: Limiter,
) -> None:
    key = fresh_key()
    collected: list[Verdict] = []
    token = request_verdicts.set(collected)
    try:
        await limiter.charge(Budget.LOGIN, key, cost=3)
        with pytest.raises(RateLimited) as refused:
            await limiter.charge(Budget.LOGIN, key)
    finally:
        request_verdicts.reset(token)
    assert 3590 <= refused.value.retry_after <= 3600
    assert refused.value.details == {"retry_after": refused.value.retry_after}
    assert [v.allowed for v in collected] == [True, False]
    await limiter.spend(Budget.LOGIN, fresh_key())
    assert len(collected) == 2


async def test_a_disabled_limiter_counts_nothing() -> None:
    limiter = Limiter(items=resolve({"login": "1/hour"}), enabled=False)
    key = fresh_key()
    for _ in range(3):
        assert (await limiter.charge(Budget.LOGIN, key)).allowed
