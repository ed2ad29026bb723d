"""Every request spends its category budget and, signed in, its plan's; answers carry the headers.

A pure ASGI middleware (inside the request id and the error envelope, outside the body cap,
so a throttled client is refused before its body is read):

- The category (seed 000): ``authentication`` for POSTs under an ``auth`` path segment,
  ``user_management`` under ``admin``, ``users``, ``roles`` and ``permissions``, ``general``
  for everything else. It is spent per user when a valid access token comes with the
  request (its signature and expiry checked, no database read), per client address otherwise.
- Signed in, the plan's budget (seed 002: the ``plan`` claim, ``free`` when absent) is spent
  per user as well, together with the category (``Limiter.spend_all``: one round trip to
  Redis; a request refused by either spends neither).
- Operation budgets (login, register, …) are spent by the services, routes and mutations
  themselves (``Limiter.charge``); their verdicts join the request's (``request_verdicts``)
  and so its headers.

Every answer carries ``X-RateLimit-Limit``, ``-Remaining`` and ``-Reset`` of the tightest
budget spent (and ``X-RateLimit-Window`` on seed 000's ``/api/v1`` paths); a refusal is 429
``RATE_LIMIT_EXCEEDED`` with ``Retry-After``. Exempt addresses spend nothing and get no headers.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from identity.errors import RateLimited
from identity.ratelimit import Budget, Limiter, Verdict
from identity.ratelimit.callers import caller_of, known_caller
from identity.ratelimit.limiter import request_verdicts
from identity.ratelimit.verdicts import tightest
from identity.services import runtime_settings
from identity.web.body_limit import refusal

SEED_000_PREFIX = "/api/v1/"
MANAGEMENT_SEGMENTS = frozenset({"admin", "users", "roles", "permissions"})
PLANS = {"free": Budget.PLAN_FREE, "pro": Budget.PLAN_PRO, "enterprise": Budget.PLAN_ENTERPRISE}
LIMIT_HEADERS = frozenset(
    {
        b"x-ratelimit-limit",
        b"x-ratelimit-remaining",
        b"x-ratelimit-reset",
        b"x-ratelimit-window",
        b"retry-after",
    }
)
"""Every header ``raw_headers_for`` may write: one the app set is replaced only by ours."""


ROUTES = 4096
ROUTE_CHARACTERS = 256
_ROUTES: dict[tuple[str, str], tuple[Budget, bool]] = {}


def route_of(method: str, path: str) -> tuple[Budget, bool]:
    """The category of a request and whether it is on seed 000's paths (``X-RateLimit-Window``),
    kept per method and path (up to ``ROUTES`` paths of ``ROUTE_CHARACTERS`` at most, then
    started afresh: a client sending long or ever new paths costs this cache nothing)."""
    found = _ROUTES.get((method, path))
    if found is None:
        found = (category_of(method, path), path.startswith(SEED_000_PREFIX))
        if len(path) <= ROUTE_CHARACTERS:
            if len(_ROUTES) >= ROUTES:
                _ROUTES.clear()
            _ROUTES[method, path] = found
    return found


def category_of(method: str, path: str) -> Budget:
    segments = path.split("/")
    if method == "POST" and "auth" in segments:
        return Budget.AUTHENTICATION
    if MANAGEMENT_SEGMENTS.intersection(segments):
        return Budget.USER_MANAGEMENT
    return Budget.GENERAL


def raw_headers_for(verdict: Verdict, path: str) -> list[tuple[bytes, bytes]]:
    """``headers_for`` as an ASGI message carries them."""
    return _raw_headers(verdict, path.startswith(SEED_000_PREFIX))


def _raw_headers(verdict: Verdict, seed_000: bool) -> list[tuple[bytes, bytes]]:
    allowed, limit, remaining, reset_at, window_seconds, retry_after = verdict
    headers = [
        (b"x-ratelimit-limit", b"%d" % limit),
        (b"x-ratelimit-remaining", b"%d" % remaining),
        (b"x-ratelimit-reset", b"%d" % reset_at),
    ]
    if seed_000:
        headers.append((b"x-ratelimit-window", b"%d" % window_seconds))
    if not allowed:
        headers.append((b"retry-after", b"%d" % retry_after))
    return headers


def headers_for(verdict: Verdict, path: str) -> dict[str, str]:
    headers = {
        "X-RateLimit-Limit": str(verdict.limit),
        "X-RateLimit-Remaining": str(verdict.remaining),
        "X-RateLimit-Reset": str(verdict.reset_at),
    }
    if path.startswith(SEED_000_PREFIX):
        headers["X-RateLimit-Window"] = str(verdict.window_seconds)
    if not verdict.allowed:
        headers["Retry-After"] = str(verdict.retry_after)
    return headers


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime = _runtime_of(scope)
        if scope["type"] != "http" or runtime is None or not runtime.settings.rate_limits_enabled:
            await self.app(scope, receive, send)
            return
        limiter: Limiter = runtime.limiter
        client = scope.get("client")
        if limiter.exempts(client[0] if client else None):
            await self.app(scope, receive, send)
            return
        limiter.use((await runtime_settings.current(runtime.deps)).rate_limits)
        path: str = scope["path"]
        category, seed_000 = route_of(scope["method"], path)
        deps = runtime.deps
        caller = known_caller(deps, scope) or await caller_of(deps, scope)
        budgets: tuple[Budget, ...] = (
            (category, PLANS.get(caller.plan or "", Budget.PLAN_FREE))
            if caller.signed_in
            else (category,)
        )
        verdicts = limiter.spend_all_now(budgets, caller.key)
        if verdicts is None:
            verdicts = await limiter.spend_all(budgets, caller.key)
        for verdict in verdicts:
            if not verdict.allowed:
                await _refuse(verdict, path, scope, receive, send)
                return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                ours = _raw_headers(tightest(verdicts), seed_000)
                theirs = message.get("headers", ())
                for name, _ in theirs:
                    if name.lower() in LIMIT_HEADERS:
                        names = {name for name, _ in ours}
                        theirs = [pair for pair in theirs if pair[0].lower() not in names]
                        break
                message["headers"] = [*theirs, *ours]
            await send(message)

        reset = request_verdicts.set(verdicts)
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            request_verdicts.reset(reset)


def _runtime_of(scope: Scope) -> Any:
    """The app's runtime: read from Starlette's state dict when it has one (its attribute
    lookup fails first, then ``__getattr__`` finds it: ~2 µs a request), else as an attribute."""
    state = getattr(scope.get("app"), "state", None)
    values = getattr(state, "_state", None)
    if isinstance(values, dict):
        return values.get("runtime")
    return getattr(state, "runtime", None)


async def _refuse(verdict: Verdict, path: str, scope: Scope, receive: Receive, send: Send) -> None:
    wait = {"retry_after": verdict.retry_after}
    response = refusal(
        path,
        429,
        RateLimited.code,
        RateLimited.default_message,
        graphql_extensions={"code": RateLimited.graphql_code, "retryAfter": verdict.retry_after},
        details=wait,
        error_members=wait,
        headers=headers_for(verdict, path),
    )
    await response(scope, receive, send)
