"""uvicorn's HTTP protocol with the writes of one event-loop turn sent as one.

uvicorn writes an answer's status line and headers when the app sends
``http.response.start`` and its body when the app sends ``http.response.body``: two
``send`` calls on a socket with ``TCP_NODELAY``, so two TCP segments per answer, and on
loopback two wake-ups of the client. The app sends both in the same turn of the event loop
(Starlette's responses do), so holding the writes until the turn ends and sending them
together costs no latency: one system call and one segment per answer. Measured with wrk
against ``identity serve`` (``python -m bench.cpu_split``, figures in ``docs/performance.md``): the
client's CPU per request halves and the server's falls by a tenth to a fifth.

Everything else is uvicorn's: the parser, keep-alive, pipelining (answers stay in order:
one buffer), ``100 Continue`` (sent at the end of the turn that decided it), streaming
(each chunk leaves at the end of its turn). Flow control stays the real transport's: what
waits is sent at once when it reaches ``SEND_AT`` bytes, so an app writing a long stream
without yielding is paused by the transport as before, never held here.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

SEND_AT = 64 * 1024


class CoalescedWrites:
    """A transport whose writes wait for the end of the loop's turn, then leave as one.

    Closing sends what waits first; aborting drops it. Anything else is the real
    transport's."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._waiting: list[bytes] = []
        self._size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._waiting:
            self._loop.call_soon(self.flush)
        self._waiting.append(bytes(data))
        self._size += len(data)
        if self._size >= SEND_AT:
            self.flush()

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        if not self._waiting:
            return
        waiting = self._waiting
        self._waiting = []
        self._size = 0
        if not self._transport.is_closing():
            self._transport.write(waiting[0] if len(waiting) == 1 else b"".join(waiting))

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + self._size

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.flush()
        self._transport.set_protocol(protocol)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._waiting = []
        self._size = 0
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol writing through ``CoalescedWrites``; ``identity serve``
    runs it (``http=``)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = CoalescedWrites(transport, self.loop)  # type: ignore[assignment]
