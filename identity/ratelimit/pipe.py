"""One pipelined Redis connection for the script every request runs (``Limiter.spend_all``).

redis-py spends ~0.3 ms of CPU per command in this process (a pooled connection taken and
given back behind a lock, a readiness poll of the socket, a stream reader and a timeout
context per reply): as much as the rest of a REST ``me`` request. Here callers write their
commands to one connection at once (``send``: a write carries one or several commands, each
with what settles it), replies come back in order and settle their callers from
``data_received`` (several per read when requests overlap), and a deadline is one timer per
write. Only plain ``redis://`` and ``rediss://`` URLs without query options use it;
anything else (sentinel, cluster, unix sockets, TLS options) stays on redis-py.

A write that outlives its deadline closes the connection (replies after it would be read
out of turn): every caller waiting on it fails with ``ConnectionError`` or ``TimeoutError``
and the next one connects again. Errors are redis-py's exceptions, so callers handle one
family.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Callable, Sequence
from typing import cast
from urllib.parse import unquote, urlsplit

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

_INCOMPLETE = object()


def usable(url: str) -> bool:
    """Whether ``url`` is one this connection serves (else redis-py is used)."""
    parts = urlsplit(url)
    return parts.scheme in {"redis", "rediss"} and not parts.query and bool(parts.hostname)


def command(*parts: bytes | str | int) -> bytes:
    """One command in RESP."""
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        if isinstance(part, int):
            out.append(integer(part))
            continue
        data = part.encode() if isinstance(part, str) else part
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


_INTEGERS: dict[int, bytes] = {}


def integer(number: int) -> bytes:
    """An integer argument as a RESP bulk string (the same few limits, costs and windows
    come with every call: kept encoded)."""
    encoded = _INTEGERS.get(number)
    if encoded is None:
        digits = b"%d" % number
        encoded = b"$%d\r\n%s\r\n" % (len(digits), digits)
        if len(_INTEGERS) < 1024:
            _INTEGERS[number] = encoded
    return encoded


def parse(buffer: bytes | bytearray, position: int) -> tuple[object, int]:
    """The reply starting at ``position`` and where the next starts, or ``_INCOMPLETE``."""
    end = buffer.find(b"\r\n", position)
    if end < 0:
        return _INCOMPLETE, position
    kind = buffer[position]
    after = end + 2
    if kind == 0x3A:  # ':' integer
        return int(buffer[position + 1 : end]), after
    line = bytes(buffer[position + 1 : end])
    if kind == 0x2A:  # '*' array (the script's answer: integers, read here without a call each)
        length = int(line)
        if length < 0:
            return None, after
        items: list[object] = []
        size = len(buffer)
        for _ in range(length):
            if after < size and buffer[after] == 0x3A:
                end = buffer.find(b"\r\n", after)
                if end < 0:
                    return _INCOMPLETE, position
                items.append(int(buffer[after + 1 : end]))
                after = end + 2
                continue
            item, after = parse(buffer, after)
            if item is _INCOMPLETE:
                return _INCOMPLETE, position
            items.append(item)
        return items, after
    if kind == 0x24:  # '$' bulk string
        length = int(line)
        if length < 0:
            return None, after
        if len(buffer) < after + length + 2:
            return _INCOMPLETE, position
        return bytes(buffer[after : after + length]), after + length + 2
    if kind == 0x2B:  # '+' simple string
        return line.decode(), after
    if kind == 0x2D:  # '-' error
        message = line.decode()
        if message.startswith("NOSCRIPT"):
            return NoScriptError(message), after
        return ResponseError(message), after
    raise RedisConnectionError(f"unexpected reply from Redis: {bytes(buffer[position:end])!r}")


_running = asyncio.get_running_loop

Settle = Callable[[object], None]
"""What to do with one reply (an exception when Redis answered an error or went away)."""


class _Connection(asyncio.Protocol):
    """Replies settle their callers in the order of the commands; a deadline is one timer
    per write (``send``), however many commands the write carries."""

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self.loop = loop
        self.timeout = timeout
        self.transport: asyncio.BaseTransport | None = None
        self.waiting: deque[Settle] = deque()
        self.deadlines: deque[tuple[int, asyncio.TimerHandle]] = deque()
        self.sent = 0  # commands written so far
        self.answered = 0  # replies read so far
        self.buffer = bytearray()
        self.open = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.open = True

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        while self.deadlines:
            self.deadlines.popleft()[1].cancel()
        error = RedisConnectionError(f"Redis connection lost: {exc or 'closed'}")
        while self.waiting:
            self.waiting.popleft()(error)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        position = 0
        waiting = self.waiting
        while waiting:
            try:
                reply, position = parse(buffer, position)
            except (RedisConnectionError, ValueError) as error:
                self.close(RedisConnectionError(f"unreadable reply from Redis: {error}"))
                return
            if reply is _INCOMPLETE:
                break
            self.answered += 1
            waiting.popleft()(reply)
        del buffer[:position]
        deadlines = self.deadlines
        while deadlines and deadlines[0][0] <= self.answered:
            deadlines.popleft()[1].cancel()

    def send(self, payload: bytes, settles: Sequence[Settle]) -> None:
        """Write ``payload`` (one command per ``settles``, in order)."""
        self.waiting.extend(settles)
        self.sent += len(settles)
        self.deadlines.append((self.sent, self.loop.call_later(self.timeout, self._expire)))
        cast(asyncio.WriteTransport, self.transport).write(payload)

    def _expire(self) -> None:
        if self.open:
            self.close(RedisTimeoutError("Redis did not answer in time"))

    def close(self, error: Exception | None) -> None:
        """Close now: every caller waiting fails (with ``error`` if given)."""
        self.open = False
        if error is not None:
            while self.waiting:
                self.waiting.popleft()(error)
        if self.transport is not None:
            cast(asyncio.WriteTransport, self.transport).abort()


def _settle_future(future: asyncio.Future[object]) -> Settle:
    def settle(reply: object) -> None:
        if future.done():
            return
        if isinstance(reply, BaseException):
            future.set_exception(reply)
        else:
            future.set_result(reply)

    return settle


class RedisPipe:
    """Commands to one Redis over one pipelined connection, connected when first needed."""

    def __init__(self, url: str, *, timeout: float) -> None:
        parts = urlsplit(url)
        self._host = parts.hostname or "localhost"
        self._port = parts.port or 6379
        self._ssl = ssl.create_default_context() if parts.scheme == "rediss" else None
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._db = int(parts.path.strip("/") or 0)
        self._timeout = timeout
        self._connection: _Connection | None = None
        self._connecting: asyncio.Lock | None = None

    def ready(self) -> _Connection | None:
        """The open connection of the running loop, if any (else ``connect``)."""
        connection = self._connection
        if connection is None or not connection.open or connection.loop is not _running():
            return None
        return connection

    def send(self, payload: bytes, settles: Sequence[Settle]) -> bool:
        """Write ``payload`` (a command per ``settles``) now if connected; False if not."""
        connection = self.ready()
        if connection is None:
            return False
        connection.send(payload, settles)
        return True

    async def call(self, payload: bytes) -> object:
        """One command's reply."""
        connection = self.ready() or await self.connect()
        future = connection.loop.create_future()
        connection.send(payload, (_settle_future(future),))
        return await future

    async def connect(self) -> _Connection:
        """The open connection, connecting (and authenticating) first if needed."""
        loop = asyncio.get_running_loop()
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            connection = self._connection
            if connection is not None and connection.open and connection.loop is loop:
                return connection
            try:
                _, made = await asyncio.wait_for(
                    loop.create_connection(
                        lambda: _Connection(loop, self._timeout),
                        self._host,
                        self._port,
                        ssl=self._ssl,
                    ),
                    self._timeout,
                )
            except TimeoutError as error:
                raise RedisTimeoutError("Redis did not accept a connection in time") from error
            except OSError as error:
                raise RedisConnectionError(f"Redis unreachable: {error}") from error
            connection = made
            try:
                if self._password is not None:
                    login = (self._user, self._password) if self._user else (self._password,)
                    await self._first(connection, command(b"AUTH", *login))
                if self._db:
                    await self._first(connection, command(b"SELECT", self._db))
            except BaseException:
                connection.close(None)
                raise
            self._connection = connection
            return connection

    @staticmethod
    async def _first(connection: _Connection, payload: bytes) -> None:
        future = connection.loop.create_future()
        connection.send(payload, (_settle_future(future),))
        await future

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close(None)
            self._connection = None
