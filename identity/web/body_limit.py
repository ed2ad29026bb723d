"""Request bodies are capped before they are read, and JSON is bounded before it is parsed.

A pure ASGI middleware, inside the request-id middleware so refusals carry the envelope and
the request id:

- A ``Content-Length`` over the cap is answered 413 at once, without reading a byte.
- Otherwise the body is read chunk by chunk (``http.request`` messages, chunked transfer
  encoding included) and refused with 413 as soon as the count passes the cap; nothing over
  the cap is ever held. What fits is handed on to the app unchanged.
- A body or query parameter that is JSON nested deeper than ``MAX_JSON_DEPTH`` is answered
  400 ``JSON_TOO_DEEP`` (see ``identity.web.json_depth``), on REST and GraphQL alike.

The caps (settings): ``max_auth_body_bytes`` (64 KB) on authentication routes, the paths with
an ``auth`` segment (``/api/v1/auth/...``, ``/auth/...``, ``/v1/auth/...``: login, register,
refresh, password and email flows); ``max_upload_body_bytes`` on upload routes (none yet:
``UPLOAD_PATH_PREFIXES``); ``max_body_bytes`` (1 MB) on everything else, GraphQL included.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from identity.config import Settings
from identity.rest.errors import error_response
from identity.web.json_depth import MAX_JSON_DEPTH, looks_like_json, nesting_exceeds

PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
JSON_TOO_DEEP = "JSON_TOO_DEEP"
AUTH_SEGMENT = "auth"
UPLOAD_PATH_PREFIXES: tuple[str, ...] = ()
GRAPHQL_PATH = "/graphql"
BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_auth_path(path: str) -> bool:
    return AUTH_SEGMENT in path.split("/")


def body_limit(settings: Settings, path: str) -> int:
    """The most bytes a request to ``path`` may send."""
    if is_auth_path(path):
        return settings.max_auth_body_bytes
    if UPLOAD_PATH_PREFIXES and path.startswith(UPLOAD_PATH_PREFIXES):
        return settings.max_upload_body_bytes
    return settings.max_body_bytes


def refusal(
    path: str,
    status: int,
    code: str,
    message: str,
    *,
    graphql_extensions: dict[str, Any] | None = None,
    **envelope: Any,
) -> JSONResponse:
    """The envelope (``envelope``: more of ``error_response``'s arguments); on GraphQL also
    ``errors``, as GraphQL clients read them (``graphql_extensions``, default the code)."""
    extra = None
    if path.rstrip("/") == GRAPHQL_PATH:
        extensions = graphql_extensions or {"code": code}
        extra = {"errors": [{"message": message, "extensions": extensions}]}
    return error_response(status, code, message, extra=extra, **envelope)


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if self._query_too_deep(scope):
            await self._refuse_depth(path, scope, receive, send)
            return
        headers = Headers(scope=scope)
        if scope["method"] in BODYLESS_METHODS and not (
            "content-length" in headers or "transfer-encoding" in headers
        ):
            await self.app(scope, receive, send)
            return
        limit = body_limit(self.settings, path)
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse_size(path, limit, scope, receive, send)
            return
        try:
            body = await _read_body(receive, limit)
        except _TooLarge:
            await self._refuse_size(path, limit, scope, receive, send)
            return
        except _Disconnected:
            return
        if looks_like_json(body) and nesting_exceeds(body):
            await self._refuse_depth(path, scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    @staticmethod
    def _query_too_deep(scope: Scope) -> bool:
        """GraphQL over GET carries JSON (``variables``, ``extensions``) in the query."""
        raw: bytes = scope.get("query_string", b"")
        upper = raw.upper()
        if not any(mark in upper for mark in (b"[", b"{", b"%5B", b"%7B")):
            return False
        return any(
            looks_like_json(value.encode()) and nesting_exceeds(value.encode())
            for _, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
        )

    async def _refuse_size(
        self, path: str, limit: int, scope: Scope, receive: Receive, send: Send
    ) -> None:
        response = refusal(path, 413, PAYLOAD_TOO_LARGE, f"Request body larger than {limit} bytes")
        response.headers["connection"] = "close"
        await response(scope, receive, send)

    async def _refuse_depth(self, path: str, scope: Scope, receive: Receive, send: Send) -> None:
        response = refusal(
            path, 400, JSON_TOO_DEEP, f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
        )
        await response(scope, receive, send)


async def _read_body(receive: Receive, limit: int) -> bytes:
    """The whole body, or _TooLarge as soon as it passes ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise _Disconnected
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Callable[[], Awaitable[Message]]:
    """The body as one message, then the client's own messages (``http.disconnect``)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
