"""Security headers on every HTTP response, errors and crashes included (one ASGI middleware).

- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer``: always.
- ``X-Frame-Options: DENY``: always, except, outside production, the pages a developer may
  want to embed: GraphiQL (the HTML answer of ``GET /graphql``) and Swagger UI (``/docs``).
- ``Content-Security-Policy``: on those two pages, our own origin only (``PAGE_POLICY``: their
  scripts, styles and fonts are files of the package, see ``identity.web.ui_pages``; the
  ``data:`` images and fonts are the ones inlined in those style sheets), plus
  ``frame-ancestors 'none'`` in production; on every other answer, JSON above all,
  ``API_POLICY``: nothing may load and nothing may frame it. A route that chose its own
  policy keeps it.
- ``Cache-Control: no-store``: on every answer but the documentation (Swagger UI, the
  OpenAPI document, GraphiQL) and the static assets of those pages, so no token, profile or
  error is kept by a browser or proxy cache. A route that chose its own ``Cache-Control``
  keeps it.
- ``Strict-Transport-Security``: in production (which is https only).
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HSTS = "max-age=63072000; includeSubDomains"
GRAPHQL_PATH = "/graphql"
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; font-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'"
)
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
NO_FRAMING = "frame-ancestors 'none'"
PLANS = 1024


class SecurityHeadersMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        production: bool,
        docs_paths: Collection[str] = (),
        static_path: str | None = None,
    ) -> None:
        """``docs_paths``: Swagger UI and the OpenAPI document: cacheable, and their HTML
        pages framable outside production. ``static_path``: where the pages' assets are
        served (cacheable)."""
        self.app = app
        self.production = production
        self.docs_paths = frozenset(docs_paths)
        self.static_prefix = None if static_path is None else static_path.rstrip("/") + "/"
        self.page_policy = f"{PAGE_POLICY}; {NO_FRAMING}" if production else PAGE_POLICY
        self._plans: dict[
            tuple[tuple[bytes, ...], bool, bool, bool, bool],
            tuple[list[tuple[bytes, bytes]], frozenset[bytes] | None],
        ] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        is_graphql_get = path == GRAPHQL_PATH and scope["method"] in ("GET", "HEAD")
        is_docs = path in self.docs_paths
        is_static = self.static_prefix is not None and path.startswith(self.static_prefix)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._headers(
                    list(message.get("headers", ())), is_graphql_get, is_docs, is_static
                )
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers(
        self, raw: list[tuple[bytes, bytes]], is_graphql_get: bool, is_docs: bool, is_static: bool
    ) -> list[tuple[bytes, bytes]]:
        """The answer's headers with ours. What to add and what to replace depends only on the
        answer's header names, whether it is a page and the path's kind: it is worked out
        once per combination (``PLANS`` kept, then started afresh)."""
        is_page = False
        for name, value in raw:
            if name.lower() == b"content-type":
                is_page = value.startswith(b"text/html")
                break
        key = (tuple(name for name, _ in raw), is_page, is_graphql_get, is_docs, is_static)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plan({name.lower() for name in key[0]}, *key[1:])
            if len(self._plans) >= PLANS:
                self._plans.clear()
            self._plans[key] = plan
        ours, replaced = plan
        if replaced is None:
            return raw + ours
        return [pair for pair in raw if pair[0].lower() not in replaced] + ours

    def _plan(
        self, names: set[bytes], is_page: bool, is_graphql_get: bool, is_docs: bool, is_static: bool
    ) -> tuple[list[tuple[bytes, bytes]], frozenset[bytes] | None]:
        """Our headers, and the names of the answer's they replace (None: it has none)."""
        is_ide = is_graphql_get and is_page
        is_developer_page = is_ide or (is_docs and is_page)
        ours = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
        if self.production or not is_developer_page:
            ours.append((b"x-frame-options", b"DENY"))
        if b"content-security-policy" not in names:
            policy = self.page_policy if is_developer_page else API_POLICY
            ours.append((b"content-security-policy", policy.encode("latin-1")))
        if not (is_ide or is_docs or is_static) and b"cache-control" not in names:
            ours.append((b"cache-control", b"no-store"))
        if self.production:
            ours.append((b"strict-transport-security", HSTS.encode("latin-1")))
        replaced = frozenset(name for name, _ in ours)
        return ours, replaced if replaced & names else None
