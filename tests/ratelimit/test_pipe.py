"""The pipelined Redis connection of the request's budgets: replies in order, a Redis that
stops answering, a database number, replies split across reads."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from identity.ratelimit import Backend, Budget, Limiter, resolve
from identity.ratelimit.pipe import RedisPipe, command, parse, usable
from tests.ratelimit.test_limiter import backend_of, fresh_key, limiter_for
from tests.support.redis import RedisServer

PAIR = (Budget.GENERAL, Budget.PLAN_FREE)


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """A TCP server that accepts connections and never answers (a hung Redis)."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"redis://127.0.0.1:{port}/0"
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


def test_replies_are_read_whole_or_not_at_all() -> None:
    reply = b"*3\r\n:0\r\n:12\r\n$-1\r\n+OK\r\n"
    assert parse(reply, 0) == ([0, 12, None], 18)
    assert parse(reply, 18) == ("OK", 23)
    for cut in range(1, 18):
        assert parse(reply[:cut], 0)[1] == 0  # incomplete: nothing consumed
    assert command(b"GET", "k", 42) == b"*3\r\n$3\r\nGET\r\n$1\r\nk\r\n$2\r\n42\r\n"
    assert usable("redis://h:6379/0")
    assert usable("rediss://:secret@h/2")
    assert not usable("redis+sentinel://h/mymaster")
    assert not usable("redis://h:6379/0?ssl_cert_reqs=none")


async def test_many_calls_in_flight_get_their_own_replies(redis_server: RedisServer) -> None:
    pipe = RedisPipe(redis_server.url, timeout=5.0)
    try:
        keys = [fresh_key() for _ in range(30)]
        await asyncio.gather(*(pipe.call(command(b"SET", key, n)) for n, key in enumerate(keys)))
        got = await asyncio.gather(*(pipe.call(command(b"GET", key)) for key in keys))
        assert got == [b"%d" % n for n in range(30)]
    finally:
        pipe.close()


async def test_a_hung_redis_falls_back_to_memory(silent_server: str) -> None:
    items = resolve({"category.general": "2/hour"})
    limiter = Limiter(items=items, redis_url=silent_server, redis_timeout_seconds=0.2)
    try:
        key = fresh_key()
        answers = [await limiter.spend_all(PAIR, key) for _ in range(3)]
        assert [all(v.allowed for v in verdicts) for verdicts in answers] == [True, True, False]
        assert backend_of(limiter) is Backend.UNREACHABLE
    finally:
        await limiter.aclose()


async def test_the_database_in_the_url_is_used(redis_server: RedisServer) -> None:
    other_db = redis_server.url.rsplit("/", 1)[0] + "/3"
    first = limiter_for(other_db, **{"category.general": "2/hour"})
    second = limiter_for(other_db, **{"category.general": "2/hour"})
    elsewhere = limiter_for(redis_server.url, **{"category.general": "2/hour"})
    key = fresh_key()
    try:
        await first.spend_all([Budget.GENERAL], key)
        assert (await second.spend_all([Budget.GENERAL], key))[0].remaining == 0
        assert (await elsewhere.spend_all([Budget.GENERAL], key))[0].remaining == 1
        assert backend_of(first) is Backend.CONNECTED
    finally:
        for limiter in (first, second, elsewhere):
            await limiter.aclose()


def redis_command(redis_server: RedisServer, *parts: bytes) -> bytes:
    """One command to the test server on a connection of its own, its raw reply."""
    with socket.create_connection(("127.0.0.1", redis_server.port), timeout=5) as conn:
        conn.sendall(command(*parts))
        return conn.recv(65536)


async def test_the_spends_of_one_turn_go_as_one_script_call_each_exact(
    redis_server: RedisServer,
) -> None:
    limiter = limiter_for(redis_server.url, **{"category.general": "3/hour", "plan.free": "2/hour"})
    try:
        await limiter.spend_all(PAIR, fresh_key())  # connected, the script known
        redis_command(redis_server, b"CONFIG", b"RESETSTAT")
        crowded, calm = fresh_key(), [fresh_key() for _ in range(10)]
        answers = await asyncio.gather(
            *(limiter.spend_all(PAIR, crowded) for _ in range(5)),
            *(limiter.spend_all(PAIR, key) for key in calm),
        )
        stats = redis_command(redis_server, b"INFO", b"commandstats")
        assert b"cmdstat_evalsha:calls=1," in stats
        assert [all(v.allowed for v in verdicts) for verdicts in answers[:5]] == [True] * 2 + [
            False
        ] * 3
        assert all(all(v.allowed for v in verdicts) for verdicts in answers[5:])
        assert [[v.remaining for v in verdicts] for verdicts in answers[:3]] == [
            [2, 1],
            [1, 0],
            [1, 0],  # refused by the plan: the category as found, nothing spent
        ]
        assert [v.allowed for v in answers[2]] == [True, False]
        assert (await limiter.peek(Budget.GENERAL, crowded)).remaining == 1
    finally:
        await limiter.aclose()


async def test_redis_forgetting_the_script_costs_nothing(redis_server: RedisServer) -> None:
    limiter = limiter_for(redis_server.url, **{"category.general": "2/hour"})
    try:
        key = fresh_key()
        assert (await limiter.spend_all(PAIR, key))[0].remaining == 1
        redis_command(redis_server, b"SCRIPT", b"FLUSH")
        assert (await limiter.spend_all(PAIR, key))[0].remaining == 0
        assert not (await limiter.spend_all(PAIR, key))[0].allowed
        assert backend_of(limiter) is Backend.CONNECTED
    finally:
        await limiter.aclose()


async def test_urls_the_pipe_does_not_serve_spend_the_same_way(redis_server: RedisServer) -> None:
    url = redis_server.url + "?health_check_interval=0"
    assert not usable(url)
    limiter = limiter_for(url, **{"category.general": "3/hour", "plan.free": "2/hour"})
    try:
        key = fresh_key()
        answers = await asyncio.gather(*(limiter.spend_all(PAIR, key) for _ in range(4)))
        assert sum(all(v.allowed for v in verdicts) for verdicts in answers) == 2
        assert (await limiter.peek(Budget.GENERAL, key)).remaining == 1
        assert backend_of(limiter) is Backend.CONNECTED
    finally:
        await limiter.aclose()
