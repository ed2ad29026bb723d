"""The client behind trusted proxies, put where every later layer reads the client."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from identity.networks import client_address, parse_networks

KNOWN = 4096
KEPT_CHARACTERS = 256


_UNKNOWN = "\0unknown"


class ClientAddressMiddleware:
    """Puts the client found behind trusted proxies in ``scope["client"]``, for everything
    after it (sessions, audit rows, rate limits, logs). Outermost; a no-op without proxies.

    The client found is kept per peer and ``X-Forwarded-For`` values (up to ``KNOWN`` of
    them, each ``KEPT_CHARACTERS`` long at most, then started afresh): a proxy's clients
    send the same ones request after request, and parsing them is most of this layer."""

    def __init__(self, app: ASGIApp, *, trusted: str) -> None:
        self.app = app
        self.trusted = parse_networks(trusted, setting="IDENTITY_TRUSTED_PROXIES")
        self._known: dict[tuple[str, tuple[bytes, ...]], str | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if self.trusted and scope["type"] in ("http", "websocket") and client:
            values = tuple(value for name, value in scope["headers"] if name == b"x-forwarded-for")
            key = (client[0], values)
            found = self._known.get(key, _UNKNOWN)
            if found is _UNKNOWN:
                forwarded = [value.decode("latin-1") for value in values]
                found = client_address(client[0], forwarded, self.trusted)
                if sum(map(len, values)) <= KEPT_CHARACTERS:
                    if len(self._known) >= KNOWN:
                        self._known.clear()
                    self._known[key] = found
            if found is not None and found != client[0]:
                scope = {**scope, "client": (found, 0)}
        await self.app(scope, receive, send)
