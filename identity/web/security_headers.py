"""Security headers on every HTTP response, errors and crashes included (one ASGI middleware).

- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer``: always.
- ``X-Frame-Options: DENY``: always, except, outside production, the pages a developer may
  want to embed: GraphiQL (the HTML answer of ``GET /graphql``) and Swagger UI (``/docs``).
- ``Cache-Control: no-store``: on every answer but the documentation (Swagger UI, the
  OpenAPI document, GraphiQL), so no token, profile or error is kept by a browser or proxy
  cache. A route that chose its own ``Cache-Control`` keeps it.
- ``Strict-Transport-Security``: in production (which is https only).
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HSTS = "max-age=63072000; includeSubDomains"
GRAPHQL_PATH = "/graphql"


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, production: bool, docs_paths: Collection[str] = ()) -> None:
        """``docs_paths``: Swagger UI and the OpenAPI document: cacheable, and their HTML
        pages framable outside production."""
        self.app = app
        self.production = production
        self.docs_paths = frozenset(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        is_graphql_get = path == GRAPHQL_PATH and scope["method"] in ("GET", "HEAD")
        is_docs = path in self.docs_paths

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                is_page = headers.get("content-type", "").startswith("text/html")
                is_ide = is_graphql_get and is_page
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                if self.production or not (is_ide or (is_docs and is_page)):
                    headers["X-Frame-Options"] = "DENY"
                if not (is_ide or is_docs) and "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
                if self.production:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, send_with_headers)
