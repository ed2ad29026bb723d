"""The typed per-request context every resolver receives."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from identity.errors import AuthenticationRequired, IdentityError
from identity.principal import Principal, RequestMeta
from identity.runtime import Runtime
from identity.services import health as health_service
from identity.services.deps import Deps
from identity.web.credentials import principal_from
from identity.web.request import request_meta
from schema.dataloaders import Loaders


@dataclass(slots=True)
class _Caller:
    """Who calls, authenticated once per request. Apart from ``Context`` so that the loaders
    can ask for the acting tenant without holding the context: a context referenced by its
    own loaders is a reference cycle, and a cycle leaves the whole request (its request,
    response, principal, ~70 objects) to the garbage collector instead of freeing it when
    the request ends; collections then come every ~140 requests and pause them all."""

    request: Request | WebSocket
    deps: Deps
    meta: RequestMeta
    principal: Principal | None = None
    authenticated: bool = False

    async def authenticate(self) -> Principal | None:
        if not self.authenticated:
            self.principal = await principal_from(self.request, self.deps, self.meta)
            self.authenticated = True
        return self.principal

    async def acting_tenant(self) -> uuid.UUID | None:
        try:
            principal = await self.authenticate()
        except IdentityError:
            return None
        return principal.tenant_id if principal is not None else None


@dataclass(slots=True)
class Context:
    request: Request | WebSocket
    response: Response | WebSocket
    runtime: Runtime
    meta: RequestMeta = field(init=False)
    loaders: Loaders = field(init=False)
    _caller: _Caller = field(init=False)
    _health: asyncio.Future[health_service.HealthReport] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.meta = request_meta(self.request)
        self._caller = _Caller(self.request, self.runtime.deps, self.meta)
        self.loaders = Loaders(
            self.runtime.database, self.runtime.clock, self._caller.acting_tenant
        )

    @property
    def deps(self) -> Deps:
        return self.runtime.deps

    async def principal(self) -> Principal | None:
        """The caller, authenticated once per request; None without a credential."""
        return await self._caller.authenticate()

    async def acting_tenant(self) -> uuid.UUID | None:
        """The tenant the caller acts in; None when they act in none, are anonymous or their
        credential is refused (the refusal is the fields' to report)."""
        return await self._caller.acting_tenant()

    async def require_principal(self) -> Principal:
        principal = await self.principal()
        if principal is None:
            raise AuthenticationRequired()
        return principal

    async def permissions(self) -> frozenset[str]:
        """The caller's current permissions (the principal reads them once per request);
        empty when anonymous."""
        principal = await self.principal()
        return await principal.permissions() if principal else frozenset()

    async def health(self) -> health_service.HealthReport:
        """The service's health, checked once per request: ``health`` aliased fifteen times
        (the aliases resolve concurrently) pings the database once, not fifteen times."""
        if self._health is None:
            runtime = self.runtime
            self._health = asyncio.ensure_future(
                health_service.health(
                    database=runtime.database,
                    limiter=runtime.limiter,
                    limit_seconds=runtime.settings.health_timeout,
                    now=runtime.clock.now(),
                    uptime_seconds=runtime.uptime_seconds(),
                )
            )
        return await self._health
