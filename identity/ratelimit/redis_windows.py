"""Fixed windows in Redis: every request's budgets spent all or none by one Lua script, the
spends of all the requests that reach it in one event-loop turn carried by one script call.

On a machine where Redis shares the cores with the service, what a request costs Redis
counts as much as what it costs this process. A script call costs Redis far more than the
counter commands inside it (reading the command, finding the script, starting Lua, the
reply), and each call costs this process a write, a deadline and a reply to parse. So the
spends that arrive together (requests overlapping under load) go as one ``EVALSHA``
carrying every request's counters; the script spends each request's counters in turn,
exactly as separate calls would one after another (all of a request's counters or none,
a refusal spends nothing), and answers each request's counts in order.

The script spends optimistically: ``INCRBY`` each counter (``EXPIRE`` when it is new), and
only when one is over its limit take them all back (``DECRBY``). The usual request (room in
every budget) costs one command per counter instead of a read and an increment.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Sequence
from typing import cast

from limits import RateLimitItem
from limits.aio.storage import RedisStorage
from limits.aio.storage.redis.redispy import RedispyBridge
from limits.errors import StorageError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError

from identity.ratelimit.memory_windows import FixedSpec
from identity.ratelimit.pipe import RedisPipe, Settle, integer
from identity.ratelimit.verdicts import (
    KEY_PREFIX,
    Spend,
    Verdict,
    fixed_counter,
    fixed_verdict,
)

# KEYS: every counter of every request of the call, request after request. ARGV: for each
# request, its number of counters n, then each counter's limit, cost and lifetime (seconds).
# Answers, for each request, its refusal flag then each counter's count: after the spend
# when every counter had room, else as found (the spend taken back).
SPEND = b"""
local out = {}
local k = 0
local a = 1
local o = 0
while a <= #ARGV do
    local n = tonumber(ARGV[a])
    local refused = 0
    for i = 1, n do
        local cost = tonumber(ARGV[a + 3 * i - 1])
        local key = KEYS[k + i]
        local count = redis.call("INCRBY", key, cost)
        if count == cost then
            redis.call("EXPIRE", key, ARGV[a + 3 * i])
        end
        if count > tonumber(ARGV[a + 3 * i - 2]) then
            refused = 1
        end
        out[o + 1 + i] = count
    end
    if refused == 1 then
        for i = 1, n do
            local cost = tonumber(ARGV[a + 3 * i - 1])
            out[o + 1 + i] = redis.call("DECRBY", KEYS[k + i], cost)
        end
    end
    out[o + 1] = refused
    k = k + n
    a = a + 3 * n + 1
    o = o + n + 1
end
return out
"""
SHA = hashlib.sha1(SPEND).hexdigest().encode()  # noqa: S324 (Redis names scripts by SHA-1)
MOST_PER_CALL = 128
"""Requests one script call carries at most (Redis runs a script alone: keep each short)."""

_PREFIX = KEY_PREFIX.encode()


def _bulk(data: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(data), data)


class SpendBatch:
    """The spends waiting for the end of this event-loop turn, then sent as one call."""

    def __init__(self, pipe: RedisPipe) -> None:
        self._pipe = pipe
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: list[tuple[asyncio.Future[list[int]], int]] = []
        self._keys: list[bytes] = []
        self._arguments: list[bytes] = []
        self._argument_count = 0
        self._connecting: set[asyncio.Task[None]] = set()

    def add(
        self, keys: list[bytes], arguments: bytes, argument_count: int
    ) -> asyncio.Future[list[int]]:
        """One request's counters (RESP bulk strings) and its arguments (RESP, ``n`` first):
        its counts, refusal flag first, once the call carrying it is answered."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop = loop
            self._take()
        if not self._waiting:
            loop.call_soon(self._flush)
        future: asyncio.Future[list[int]] = loop.create_future()
        self._waiting.append((future, len(keys)))
        self._keys += keys
        self._arguments.append(arguments)
        self._argument_count += argument_count
        if len(self._waiting) >= MOST_PER_CALL:
            self._flush()
        return future

    def _take(self) -> tuple[list[tuple[asyncio.Future[list[int]], int]], bytes, bytes]:
        waiting, keys, arguments = self._waiting, self._keys, self._arguments
        count = len(keys)
        head = b"*%d\r\n" % (3 + count + self._argument_count)
        self._waiting, self._keys, self._arguments, self._argument_count = [], [], [], 0
        tail = integer(count) + b"".join(keys) + b"".join(arguments)
        return waiting, head, tail

    def _flush(self) -> None:
        if not self._waiting:
            return
        waiting, head, tail = self._take()
        payload = head + b"$7\r\nEVALSHA\r\n$40\r\n" + SHA + b"\r\n" + tail

        def settle(reply: object) -> None:
            if isinstance(reply, NoScriptError):  # Redis restarted or flushed its scripts
                again = head + b"$4\r\nEVAL\r\n" + _bulk(SPEND) + tail
                if self._pipe.send(again, (lambda second: _share(waiting, second),)):
                    return
            _share(waiting, reply)

        if not self._pipe.send(payload, (settle,)):
            task = asyncio.get_running_loop().create_task(self._connect(payload, settle, waiting))
            self._connecting.add(task)
            task.add_done_callback(self._connecting.discard)

    async def _connect(
        self,
        payload: bytes,
        settle: Settle,
        waiting: list[tuple[asyncio.Future[list[int]], int]],
    ) -> None:
        try:
            connection = await self._pipe.connect()
        except Exception as error:  # whatever it is, the requests waiting fall back
            failure = error if isinstance(error, RedisError) else RedisConnectionError(str(error))
            _share(waiting, failure)
            return
        connection.send(payload, (settle,))


def _share(waiting: Sequence[tuple[asyncio.Future[list[int]], int]], reply: object) -> None:
    """Each request's part of the call's reply (or its error)."""
    if isinstance(reply, list) and len(reply) == sum(n + 1 for _, n in waiting):
        position = 0
        for future, count in waiting:
            end = position + count + 1
            if not future.done():
                future.set_result(reply[position:end])
            position = end
        return
    error = reply if isinstance(reply, RedisError) else _unexpected(reply)
    for future, _ in waiting:
        if not future.done():
            future.set_exception(error)


def _unexpected(reply: object) -> RedisError:
    return RedisError(f"unexpected answer from Redis: {reply!r}"[:300])


class RedisFixed:
    """Fixed windows on the clock in Redis (``SPEND``): one request's budgets all or none,
    atomic, so replicas share exact counts. ``limits`` offers no call that spends several
    items (its strategies and its storage's ``incr`` take one key each), and its own fixed
    window starts at the first spend, so the script is ours; ``limits``' connection serves
    ``peek``, ``clear``, and the spends when the URL is not one the pipe serves."""

    def __init__(self, storage: RedisStorage, pipe: RedisPipe | None) -> None:
        self._client = cast(RedispyBridge, storage.bridge).get_connection()
        self._script = self._client.register_script(SPEND)
        self._batch = SpendBatch(pipe) if pipe is not None else None
        self._prepared: dict[int, tuple[Sequence[FixedSpec], list[bytes], bytes]] = {}

    def _prepare(self, specs: Sequence[FixedSpec]) -> tuple[list[bytes], bytes]:
        """Each spec's counter tag and the request's arguments, built once per specs."""
        found = self._prepared.get(id(specs))
        if found is not None and found[0] is specs:
            return found[1], found[2]
        tags = [b"}/%s/" % tag.encode() for _, _, _, _, tag in specs]
        arguments = integer(len(specs)) + b"".join(
            integer(amount) + integer(1) + integer(length) for _, _, amount, length, _ in specs
        )
        if len(self._prepared) >= 256:
            self._prepared.clear()
        self._prepared[id(specs)] = (specs, tags, arguments)
        return tags, arguments

    async def spend_request(
        self, specs: Sequence[FixedSpec], key: str, now: float
    ) -> list[Verdict]:
        """One of each budget of ``specs`` for ``key``, all or none (``spend_many``'s rule)."""
        tags, arguments = self._prepare(specs)
        head = _PREFIX + b":{" + key.encode()
        counters = []
        numbers = []
        for (_, _, _, length, _), tag in zip(specs, tags, strict=True):
            number = int(now // length)
            numbers.append(number)
            data = b"%s%s%d" % (head, tag, number)
            counters.append(b"$%d\r\n%s\r\n" % (len(data), data))
        batch = self._batch
        if batch is None:
            counts = await self._run(counters, arguments, 1 + 3 * len(specs))
        else:
            try:
                counts = await batch.add(counters, arguments, 1 + 3 * len(specs))
            except RedisError as error:
                raise StorageError(error) from error
        if counts[0]:
            spends = [(item, name, key, 1) for item, name, _, _, _ in specs]
            return _refused(spends, counts, now)
        verdicts = []
        found = zip(specs, numbers, counts[1:], strict=True)
        for (_, _, amount, length, _), number, count in found:
            left = amount - count if count < amount else 0
            verdicts.append(Verdict(True, amount, left, (number + 1) * length, length, 0))
        return verdicts

    async def spend_many(self, spends: Sequence[Spend], now: float) -> list[Verdict]:
        counters = []
        arguments = [integer(len(spends))]
        for item, name, key, cost in spends:
            counters.append(_bulk(fixed_counter(item, name, key, now)[0].encode()))
            arguments += (integer(item.amount), integer(cost), integer(item.get_expiry()))
        counts = await self._run(counters, b"".join(arguments), 1 + 3 * len(spends))
        if counts[0]:
            return _refused(spends, counts, now)
        verdicts = []
        for (item, name, key, _), count in zip(spends, counts[1:], strict=True):
            reset = fixed_counter(item, name, key, now)[1]
            verdicts.append(fixed_verdict(item, True, reset, count, now))
        return verdicts

    async def _run(self, counters: list[bytes], arguments: bytes, argument_count: int) -> list[int]:
        """The script's answer for one request (its refusal flag, then its counts)."""
        try:
            if self._batch is not None:
                answer: object = await self._batch.add(counters, arguments, argument_count)
            else:
                answer = await self._script(
                    [_unbulk(counter) for counter in counters], _unbulk_all(arguments)
                )
        except RedisError as error:
            raise StorageError(error) from error
        if not isinstance(answer, list) or len(answer) != len(counters) + 1:
            raise StorageError(ValueError(f"unexpected answer from Redis: {answer!r}"))
        return cast(list[int], answer)

    async def spend(self, item: RateLimitItem, name: str, key: str, cost: int) -> Verdict:
        return (await self.spend_many([(item, name, key, cost)], time.time()))[0]

    async def peek(self, item: RateLimitItem, name: str, key: str, cost: int) -> Verdict:
        now = time.time()
        counter, reset = fixed_counter(item, name, key, now)
        try:
            count = int(await self._client.get(counter) or 0)
        except RedisError as error:
            raise StorageError(error) from error
        return fixed_verdict(item, count + cost <= item.amount, reset, count, now)

    async def clear(self, item: RateLimitItem, name: str, key: str) -> None:
        try:
            await self._client.delete(fixed_counter(item, name, key, time.time())[0])
        except RedisError as error:
            raise StorageError(error) from error


def _refused(spends: Sequence[Spend], counts: Sequence[int], now: float) -> list[Verdict]:
    """The verdicts of a refused request from the counts as found: each says whether its
    own budget had room."""
    verdicts = []
    for (item, name, key, cost), count in zip(spends, counts[1:], strict=True):
        reset = fixed_counter(item, name, key, now)[1]
        verdicts.append(fixed_verdict(item, count + cost <= item.amount, reset, count, now))
    return verdicts


def _unbulk(data: bytes) -> bytes:
    """The value of one RESP bulk string."""
    return data[data.index(b"\r\n") + 2 : -2]


def _unbulk_all(data: bytes) -> list[bytes]:
    """The values of consecutive RESP bulk strings."""
    values = []
    position = 0
    while position < len(data):
        start = data.index(b"\r\n", position) + 2
        length = int(data[position + 1 : start - 2])
        values.append(data[start : start + length])
        position = start + length + 2
    return values
