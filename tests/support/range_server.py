"""A Pwned-Passwords-compatible range server on loopback, for the breached-password tests."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable


class RangeServer:
    """Answers ``GET <base>/<5 hex>`` with ``SUFFIX:COUNT`` lines, and records every request.

    ``breached`` passwords are listed with a count; every answer carries padding lines
    (count 0), as the real API does when asked for ``Add-Padding``.
    """

    def __init__(self, breached: Iterable[str] = (), *, base: str = "/range/") -> None:
        self.base = base
        self.requests: list[bytes] = []
        self._counts: dict[str, int] = {}
        for password in breached:
            digest = hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()
            self._counts[digest] = 42
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.base}"

    @property
    def paths(self) -> list[str]:
        return [raw.split(b" ", 2)[1].decode("ascii") for raw in self.requests]

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def _answer(self, path: str) -> tuple[int, str]:
        prefix = path.removeprefix(self.base).upper()
        if not path.startswith(self.base) or len(prefix) != 5:
            return 400, "The hash prefix was not in a valid format"
        lines = [f"{'0' * 35}:0", f"{'F' * 35}:0"]
        lines += [
            f"{digest[5:]}:{count}"
            for digest, count in self._counts.items()
            if digest.startswith(prefix)
        ]
        return 200, "\r\n".join(lines)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raw = await reader.readuntil(b"\r\n\r\n")
        self.requests.append(raw)
        status, body = self._answer(raw.split(b" ", 2)[1].decode("ascii"))
        data = body.encode()
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: {len(data)}\r\n"
            "Connection: close\r\n\r\n".encode()
            + data
        )
        await writer.drain()
        writer.close()
        await writer.wait_closed()
