"""Whom a request's budgets are counted for, read from the request without the database."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from time import time
from typing import Any

from identity.clock import SystemClock
from identity.errors import TokenExpired, TokenInvalid
from identity.security.tokens import token_kid, verify_access_token
from identity.services.deps import Deps

Scope = MutableMapping[str, Any]  # an ASGI scope, as Starlette types it


@dataclass(frozen=True, slots=True)
class Caller:
    """Whom a request's budgets are counted for: the user of a valid access token (its
    signature and expiry checked, no database read), else the client address."""

    key: str
    signed_in: bool
    plan: str | None = None


# Tokens already verified, by their ``Authorization`` header as it came, with their expiry:
# the same header comes with every request of a client, and its budget key is all that is
# read from it. A token whose signing key was retired meanwhile is still counted for its
# user until it expires: it is a budget key only, it grants nothing (every route verifies
# the token itself).
_KNOWN: dict[bytes, tuple[float, Caller]] = {}
KNOWN_TOKENS = 4096


_ANONYMOUS: dict[object, Caller] = {}
KNOWN_ADDRESSES = 4096
_UNKNOWN = Caller(key="address:unknown", signed_in=False)


def _authorization(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return value  # type: ignore[no-any-return]
    return None


def _anonymous(scope: Scope) -> Caller:
    """The caller known by its address (one ``Caller`` per address, kept like tokens)."""
    client = scope.get("client")
    if not client:
        return _UNKNOWN
    address = client[0]
    caller = _ANONYMOUS.get(address)
    if caller is None:
        if len(_ANONYMOUS) >= KNOWN_ADDRESSES:
            _ANONYMOUS.clear()
        caller = _ANONYMOUS[address] = Caller(key=f"address:{address}", signed_in=False)
    return caller


def _now(deps: Deps) -> float:
    """The clock's time in seconds (the system clock read without building a datetime)."""
    clock = deps.clock
    return time() if type(clock) is SystemClock else clock.now().timestamp()


def known_caller(deps: Deps, scope: Scope) -> Caller | None:
    """``caller_of`` without a coroutine when nothing needs verifying (no ``Authorization``,
    or a token already verified and not expired); None when ``caller_of`` must verify one."""
    header = _authorization(scope)
    if header is None:
        return _anonymous(scope)
    known = _KNOWN.get(header)
    if known is not None and known[0] > _now(deps):
        return known[1]
    return None


async def caller_of(deps: Deps, scope: Scope) -> Caller:
    header = _authorization(scope)
    if header is not None:
        known = _KNOWN.get(header)
        if known is not None and known[0] > _now(deps):
            return known[1]
    anonymous = _anonymous(scope)
    if header is None:
        return anonymous
    scheme, _, rest = header.decode("latin-1").partition(" ")
    token = rest.strip()
    if scheme.lower() != "bearer" or not token:
        return anonymous
    try:
        claims = verify_access_token(
            token,
            public_jwks=await deps.keys.public_keys(token_kid(token)),
            issuer=deps.settings.issuer,
            audience=deps.settings.jwt_audience,
            now=deps.clock.now(),
        )
    except (TokenExpired, TokenInvalid):
        return anonymous
    plan = claims.get("plan")
    caller = Caller(
        key=f"user:{claims['sub']}", signed_in=True, plan=plan if isinstance(plan, str) else None
    )
    if len(_KNOWN) >= KNOWN_TOKENS:
        _KNOWN.clear()
    _KNOWN[header] = (float(claims["exp"]), caller)
    return caller
