"""The client behind trusted proxies, put where every later layer reads the client."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from identity.networks import client_address, parse_networks


class ClientAddressMiddleware:
    """Puts the client found behind trusted proxies in ``scope["client"]``, for everything
    after it (sessions, audit rows, rate limits, logs). Outermost; a no-op without proxies."""

    def __init__(self, app: ASGIApp, *, trusted: str) -> None:
        self.app = app
        self.trusted = parse_networks(trusted, setting="IDENTITY_TRUSTED_PROXIES")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if self.trusted and scope["type"] in ("http", "websocket") and client:
            forwarded = [
                value.decode("latin-1")
                for name, value in scope["headers"]
                if name == b"x-forwarded-for"
            ]
            found = client_address(client[0], forwarded, self.trusted)
            if found is not None and found != client[0]:
                scope = {**scope, "client": (found, 0)}
        await self.app(scope, receive, send)
