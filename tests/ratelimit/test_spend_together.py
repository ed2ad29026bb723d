"""A request's budgets spent together (``Limiter.spend_all``): all or none, exact under
concurrency on both stores, one Redis round trip, the memory fallback and recovery."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from identity.ratelimit import Backend, Budget, Limiter
from tests.ratelimit.conftest import Limited
from tests.ratelimit.test_limiter import backend_of, fresh_key, limiter_for
from tests.support.redis import RedisServer

PAIR = (Budget.GENERAL, Budget.PLAN_FREE)
JWKS = "/.well-known/jwks.json"


@pytest.fixture(params=["memory", "redis"])
async def pair_limiter(request: pytest.FixtureRequest) -> AsyncIterator[Limiter]:
    url = request.getfixturevalue("redis_server").url if request.param == "redis" else None
    made = limiter_for(url, **{"category.general": "5/hour", "plan.free": "2/hour"})
    yield made
    await made.aclose()


async def test_a_request_refused_by_its_plan_spends_no_category(pair_limiter: Limiter) -> None:
    key = fresh_key()
    answers = [await pair_limiter.spend_all(PAIR, key) for _ in range(3)]
    assert [[v.allowed for v in verdicts] for verdicts in answers] == [
        [True, True],
        [True, True],
        [True, False],  # the category had room, the plan had none: neither is spent
    ]
    assert [v.remaining for v in answers[1]] == [3, 0]
    assert [v.remaining for v in answers[2]] == [3, 0]
    assert 1 <= answers[2][1].retry_after <= 3600
    assert (await pair_limiter.peek(Budget.GENERAL, key)).remaining == 3
    assert (await pair_limiter.peek(Budget.PLAN_FREE, key)).remaining == 0


async def test_a_request_refused_by_its_category_spends_no_plan(pair_limiter: Limiter) -> None:
    key = fresh_key()
    for _ in range(5):
        assert (await pair_limiter.spend_all([Budget.GENERAL], key))[0].allowed
    refused = await pair_limiter.spend_all(PAIR, key)
    assert [v.allowed for v in refused] == [False, True]
    assert (await pair_limiter.peek(Budget.PLAN_FREE, key)).remaining == 2
    # A refusal counts in no window: the category stays exactly spent, not over.
    assert (await pair_limiter.peek(Budget.GENERAL, key, cost=0)).allowed


async def test_parallel_spends_together_never_exceed_either_budget(pair_limiter: Limiter) -> None:
    key = fresh_key()
    answers = await asyncio.gather(*(pair_limiter.spend_all(PAIR, key) for _ in range(50)))
    assert sum(all(v.allowed for v in verdicts) for verdicts in answers) == 2
    assert (await pair_limiter.peek(Budget.GENERAL, key)).remaining == 3


def test_only_fixed_windows_are_spent_together() -> None:
    with pytest.raises(ValueError, match="login"):
        asyncio.run(limiter_for(None).spend_all([Budget.GENERAL, Budget.LOGIN], fresh_key()))


async def test_fifty_parallel_requests_on_redis_pass_ten(
    limited: Limited, redis_server: RedisServer
) -> None:
    redis_server.flush()
    client, app = await limited(
        redis_url=redis_server.url, rate_limits={"category.general": "10/hour"}
    )
    answers = await asyncio.gather(*(client.get(JWKS) for _ in range(50)))
    assert sorted(r.status_code for r in answers) == [200] * 10 + [429] * 40
    assert app.state.runtime.limiter.backend is Backend.CONNECTED
    assert sorted(int(r.headers["x-ratelimit-remaining"]) for r in answers)[-10:] == list(range(10))
    assert all("retry-after" in r.headers for r in answers if r.status_code == 429)


async def test_redis_killed_mid_run_falls_back_then_counts_there_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = RedisServer()
    server.start()
    limiter = limiter_for(server.url, **{"category.general": "3/hour", "plan.free": "3/hour"})
    key = fresh_key()
    try:
        assert all(v.allowed for v in await limiter.spend_all(PAIR, key))
        server.stop()
        with caplog.at_level(logging.WARNING, logger="identity.ratelimit.limiter"):
            answers = [await limiter.spend_all(PAIR, key) for _ in range(4)]
        # Counted in memory from zero meanwhile: per replica, never off.
        assert [all(v.allowed for v in verdicts) for verdicts in answers] == [
            True,
            True,
            True,
            False,
        ]
        assert limiter.backend is Backend.UNREACHABLE
        assert sum("Redis unreachable" in r.message for r in caplog.records) == 1
        server.start()
        await asyncio.sleep(0.3)
        # Back on Redis, restarted empty: its script cache too, which the client reloads.
        assert [v.remaining for v in await limiter.spend_all(PAIR, key)] == [2, 2]
        assert backend_of(limiter) is Backend.CONNECTED
    finally:
        await limiter.aclose()
        server.destroy()
