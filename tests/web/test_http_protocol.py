"""The server's HTTP protocol: one write per answer, and everything else as uvicorn does it.

A real uvicorn server on loopback with ``HttpProtocol``, read by raw sockets; the real
transport is wrapped only to count the writes that reach it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from identity.web.http_protocol import HttpProtocol
from tests.support.postgres import free_port

BIG = b"x" * (2 * 1024 * 1024)
released = asyncio.Event()


async def small(_request: Request) -> Response:
    return JSONResponse({"ok": True})


async def big(_request: Request) -> Response:
    return Response(BIG, media_type="application/octet-stream")


async def echo(request: Request) -> Response:
    return Response(await request.body(), media_type="application/octet-stream")


async def stream(_request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"first;"
        await released.wait()
        yield b"second;"

    return StreamingResponse(chunks(), media_type="text/plain")


produced: list[int] = []
CHUNK = b"y" * 65536
CHUNKS = 2000


async def flood(_request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(CHUNKS):  # never yields to the loop by itself
            produced.append(1)
            yield CHUNK

    return StreamingResponse(chunks(), media_type="application/octet-stream")


APP = Starlette(
    routes=[
        Route("/small", small),
        Route("/big", big),
        Route("/echo", echo, methods=["POST"]),
        Route("/stream", stream),
        Route("/flood", flood),
    ]
)
writes: list[int] = []


class _Counted:
    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport

    def write(self, data: bytes) -> None:
        writes.append(len(data))
        self._transport.write(data)

    def __getattr__(self, name: str) -> object:
        return getattr(self._transport, name)


class CountedProtocol(HttpProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_Counted(transport))  # type: ignore[arg-type]


@asynccontextmanager
async def served() -> AsyncIterator[int]:
    port = free_port()
    config = uvicorn.Config(
        APP, host="127.0.0.1", port=port, http=CountedProtocol, lifespan="off", log_level="error"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event for it)
        await asyncio.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


@pytest.fixture(autouse=True)
def fresh() -> None:
    writes.clear()
    released.clear()
    produced.clear()


async def _read_answer(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return head, await reader.readexactly(length)


async def test_an_answer_reaches_the_socket_in_one_write() -> None:
    async with served() as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(3):  # kept alive between them
            writer.write(b"GET /small HTTP/1.1\r\nhost: t\r\n\r\n")
            head, body = await _read_answer(reader)
            assert head.startswith(b"HTTP/1.1 200 OK\r\n")
            assert body == b'{"ok":true}'
        writer.close()
    assert len(writes) == 3
    assert all(size > len(b'{"ok":true}') for size in writes)


async def test_pipelined_requests_are_answered_in_order() -> None:
    async with served() as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /echo HTTP/1.1\r\nhost: t\r\ncontent-length: 3\r\n\r\none"
            b"POST /echo HTTP/1.1\r\nhost: t\r\ncontent-length: 3\r\n\r\ntwo"
        )
        answers = [(await _read_answer(reader))[1] for _ in range(2)]
        writer.close()
    assert answers == [b"one", b"two"]


async def test_a_large_answer_arrives_whole() -> None:
    async with served() as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /big HTTP/1.1\r\nhost: t\r\n\r\n")
        await asyncio.sleep(0.2)  # the server's buffer fills: flow control pauses it
        _, body = await _read_answer(reader)
        writer.close()
    assert body == BIG


async def test_a_streamed_chunk_leaves_before_the_stream_ends() -> None:
    async with served() as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /stream HTTP/1.1\r\nhost: t\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        first = await asyncio.wait_for(reader.readuntil(b"first;"), 5)
        released.set()
        rest = await asyncio.wait_for(reader.readuntil(b"0\r\n\r\n"), 5)
        writer.close()
    assert b"transfer-encoding: chunked" in head
    assert first.endswith(b"first;")
    assert b"second;" in rest


async def test_head_and_connection_close_answer_as_uvicorn_does() -> None:
    async with served() as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"HEAD /small HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
        everything = await asyncio.wait_for(reader.read(), 5)  # until the server closes
        writer.close()
    head, _, body = everything.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"connection: close" in head.lower()
    assert body == b""


async def test_expect_100_continue_is_answered_before_the_body_is_sent() -> None:
    async with served() as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /echo HTTP/1.1\r\nhost: t\r\ncontent-length: 5\r\nexpect: 100-continue\r\n\r\n"
        )
        interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        writer.write(b"hello")
        _, body = await _read_answer(reader)
        writer.close()
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert body == b"hello"


async def test_a_stream_to_a_client_that_reads_nothing_is_paused_not_held() -> None:
    """Without the transport's flow control the whole 128 MB would be held in memory."""
    async with served() as port:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /flood HTTP/1.1\r\nhost: t\r\n\r\n")
        await asyncio.sleep(1)
        held = len(produced)
        writer.transport.abort()
    assert 0 < held < CHUNKS // 10


async def _answer_to(port: int, chunks: list[bytes]) -> bytes:
    """What the server sends back, read while ``chunks`` are sent in turn, until it closes
    (a client that keeps sending after the refusal meets a closed connection)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    received = bytearray()

    async def read() -> None:
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(65536):
                received.extend(chunk)

    reading = asyncio.create_task(read())
    with contextlib.suppress(ConnectionError):
        for chunk in chunks:
            writer.write(chunk)
            await writer.drain()
            await asyncio.sleep(0.01)
    await asyncio.wait_for(reading, 5)
    writer.close()
    return bytes(received)


@pytest.mark.parametrize(
    "chunks",
    [
        [b"GET /small HTTP/1.1\r\nhost: t\r\nx-big: " + b"a" * 200_000 + b"\r\n\r\n"],
        [b"GET /small?" + b"q" * 200_000 + b" HTTP/1.1\r\nhost: t\r\n\r\n"],
        [b"GET /small HTTP/1.1\r\nhost: t\r\n", *([b"x-many: " + b"m" * 1000 + b"\r\n"] * 200)],
        [b"GET /small HTTP/1.1\r\nhost: t\r\nx-endless: ", *([b"e" * 10_000] * 30)],
    ],
    ids=["one big header", "big url", "many headers", "a header that never ends"],
)
async def test_a_head_over_the_cap_is_refused_and_the_connection_closed(
    chunks: list[bytes],
) -> None:
    async with served() as port:
        answer = await _answer_to(port, chunks)
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert b"connection: close" in answer
    assert answer.endswith(b"\r\n\r\nRequest header fields too large")


async def test_heads_under_the_cap_and_large_bodies_are_served() -> None:
    near_cap = b"x-near: " + b"n" * 60_000 + b"\r\n"
    body = b"b" * 300_000
    async with served() as port:
        answer = await _answer_to(
            port,
            [
                b"GET /small HTTP/1.1\r\nhost: t\r\n" + near_cap + b"\r\n",
                b"POST /echo HTTP/1.1\r\nhost: t\r\ncontent-length: %d\r\n\r\n" % len(body)
                + body
                + b"GET /small HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n",
            ],
        )
    assert answer.count(b"HTTP/1.1 200 OK\r\n") == 3
    assert body in answer
