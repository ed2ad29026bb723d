"""Routes answered without FastAPI's dependency solving, where nothing needs it.

A route whose handler takes only the shared dependencies of ``identity.rest.deps`` (the
services' ``Deps``, the request's ``RequestMeta``, the caller, the runtime) and no path,
query, header, cookie or body parameter has nothing for FastAPI to parse or validate, yet
solving its five nested dependencies cost more CPU than the rest of REST ``me`` together
(``bench/hot_cpu.py``). ``DirectRoute`` keeps the ``APIRoute`` (the same path, the same
``/openapi.json`` entry, the same exception handlers) and, for such a handler alone, replaces
the request handler with one that resolves those dependencies directly and writes the JSON.
Every other route is FastAPI's own.

Every route also refuses at once a path that does not start with its literal prefix (the
path up to its first parameter): the app tries its ~300 routes in order, and FastAPI's full
match of each cost a few microseconds, a tenth of REST ``me`` for a route late in the list.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, cast

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Scope

from identity.principal import Principal, RequestMeta
from identity.rest import deps
from identity.runtime import Runtime
from identity.web.credentials import principal_from
from identity.web.request import request_meta

Resolve = Callable[["_Resolved"], Awaitable[Any]]


class _Resolved:
    """The shared dependencies of one request, each computed at most once."""

    __slots__ = ("_meta", "request", "runtime")

    def __init__(self, request: Request) -> None:
        self.request = request
        self.runtime = cast(Runtime, request.app.state.runtime)
        self._meta: RequestMeta | None = None

    def meta(self) -> RequestMeta:
        if self._meta is None:
            self._meta = request_meta(self.request)
        return self._meta

    async def principal(self) -> Principal | None:
        return await principal_from(self.request, self.runtime.deps, self.meta())


async def _runtime(resolved: _Resolved) -> Runtime:
    return resolved.runtime


async def _deps(resolved: _Resolved) -> Any:
    return resolved.runtime.deps


async def _meta(resolved: _Resolved) -> RequestMeta:
    return resolved.meta()


async def _optional_principal(resolved: _Resolved) -> Principal | None:
    return await resolved.principal()


async def _required_principal(resolved: _Resolved) -> Principal:
    return await deps.require_principal(await resolved.principal())


RESOLVERS: dict[Callable[..., Any], Resolve] = {
    deps.get_runtime: _runtime,
    deps.get_deps: _deps,
    deps.get_meta: _meta,
    deps.optional_principal: _optional_principal,
    deps.require_principal: _required_principal,
}


def _direct_parameters(dependant: Dependant) -> list[tuple[str, Resolve]] | None:
    """Each parameter of the handler and its resolver, or None when FastAPI is needed."""
    if (
        dependant.path_params
        or dependant.query_params
        or dependant.header_params
        or dependant.cookie_params
        or dependant.body_params
        or dependant.request_param_name
        or dependant.http_connection_param_name
        or dependant.websocket_param_name
        or dependant.response_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
    ):
        return None
    found: list[tuple[str, Resolve]] = []
    for dependency in dependant.dependencies:
        resolver = RESOLVERS.get(dependency.call) if dependency.call else None
        if resolver is None or dependency.name is None:
            return None
        found.append((dependency.name, resolver))
    return found


def _render(content: Any) -> bytes:
    """The bytes FastAPI's ``JSONResponse`` writes for the same content."""
    return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


class DirectRoute(APIRoute):
    """An ``APIRoute`` answered directly when its handler needs only shared dependencies."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        super().__init__(path, endpoint, **options)
        self.literal_prefix = path.split("{", 1)[0]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if (
            scope["type"] == "http"
            and not scope.get("root_path")
            and not scope["path"].startswith(self.literal_prefix)
        ):
            return Match.NONE, {}
        return super().matches(scope)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        parameters = _direct_parameters(self.dependant)
        endpoint = self.dependant.call
        if parameters is None or endpoint is None:
            return super().get_route_handler()
        status = self.status_code or 200
        call = cast(Callable[..., Awaitable[Any]], endpoint)

        async def handler(request: Request) -> Response:
            resolved = _Resolved(request)
            values = {name: await resolve(resolved) for name, resolve in parameters}
            content = await call(**values)
            if isinstance(content, Response):
                return content
            return Response(_render(content), status_code=status, media_type="application/json")

        return handler
