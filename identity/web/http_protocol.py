"""The server's HTTP protocol: uvicorn's httptools protocol, writes of a loop turn sent as one.

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

One addition: a request's head (its request line and headers) is capped at
``MAX_HEAD_BYTES``; beyond that the answer is 431 and the connection is closed. uvicorn's
httptools protocol has no cap: a header line that never ends was held in memory whole.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

SEND_AT = 64 * 1024
MAX_HEAD_BYTES = 64 * 1024
"""Request line and headers of one request (nginx allows 1 KB, then 4 buffers of 8 KB)."""
TOO_LARGE = b"Request header fields too large"


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
    """uvicorn's httptools protocol writing through ``CoalescedWrites`` and refusing a head
    over ``MAX_HEAD_BYTES``; ``identity serve`` runs it (``http=``)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = CoalescedWrites(transport, self.loop)  # type: ignore[assignment]
        self._in_head = True
        self._head_bytes = 0

    def data_received(self, data: bytes) -> None:
        """Counts the bytes of a head while it lasts: a chunk that began in a head and
        ends in it is all head (a head begun within a chunk is counted from the next one,
        so a head may pass the cap by less than one chunk before it is refused)."""
        was_in_head = self._in_head
        super().data_received(data)
        if not (was_in_head and self._in_head) or self.transport.is_closing():
            return
        self._head_bytes += len(data)
        if self._head_bytes > MAX_HEAD_BYTES:
            self._refuse_head()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True
        self._head_bytes = 0

    def _refuse_head(self) -> None:
        self.logger.warning("Request head over %d bytes refused.", MAX_HEAD_BYTES)
        content = [STATUS_LINE[431]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.append(
            b"content-type: text/plain; charset=utf-8\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n%s" % (len(TOO_LARGE), TOO_LARGE)
        )
        self.transport.write(b"".join(content))
        self.transport.close()
