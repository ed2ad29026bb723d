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

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from identity.errors import RateLimited
from identity.ratelimit import Budget, Limiter, Verdict
from identity.ratelimit.callers import caller_of
from identity.ratelimit.limiter import request_verdicts, tightest
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


def category_of(method: str, path: str) -> Budget:
    segments = path.split("/")
    if method == "POST" and "auth" in segments:
        return Budget.AUTHENTICATION
    if MANAGEMENT_SEGMENTS.intersection(segments):
        return Budget.USER_MANAGEMENT
    return Budget.GENERAL


def raw_headers_for(verdict: Verdict, path: str) -> list[tuple[bytes, bytes]]:
    """``headers_for`` as an ASGI message carries them."""
    headers = [
        (b"x-ratelimit-limit", b"%d" % verdict.limit),
        (b"x-ratelimit-remaining", b"%d" % verdict.remaining),
        (b"x-ratelimit-reset", b"%d" % verdict.reset_at),
    ]
    if path.startswith(SEED_000_PREFIX):
        headers.append((b"x-ratelimit-window", b"%d" % verdict.window_seconds))
    if not verdict.allowed:
        headers.append((b"retry-after", b"%d" % verdict.retry_after))
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
        runtime = getattr(scope.get("app"), "state", None)
        runtime = getattr(runtime, "runtime", None)
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
        caller = await caller_of(runtime.deps, scope)
        budgets = [category_of(scope["method"], path)]
        if caller.signed_in:
            budgets.append(PLANS.get(caller.plan or "", Budget.PLAN_FREE))
        verdicts = await limiter.spend_all(budgets, caller.key)
        refused = [v for v in verdicts if not v.allowed]
        if refused:
            await _refuse(refused[0], path, scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                ours = raw_headers_for(tightest(verdicts), path)
                theirs = message.get("headers", ())
                if any(name.lower() in LIMIT_HEADERS for name, _ in theirs):
                    names = {name for name, _ in ours}
                    theirs = [pair for pair in theirs if pair[0].lower() not in names]
                message["headers"] = [*theirs, *ours]
            await send(message)

        reset = request_verdicts.set(verdicts)
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            request_verdicts.reset(reset)


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
