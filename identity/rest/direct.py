"""Routes answered without FastAPI's dependency solving, where nothing needs it.

A route whose handler takes only the shared dependencies of ``identity.rest.deps`` (the
services' ``Deps``, the request's ``RequestMeta``, the caller, the runtime) and no path,
query, header, cookie or body parameter has nothing for FastAPI to parse or validate, yet
solving its five nested dependencies cost more CPU than the rest of REST ``me`` together
(``bench/hot_cpu.py``). ``DirectRoute`` keeps the ``APIRoute`` (the same path, the same
``/openapi.json`` entry, the same exception handlers) and, for such a handler alone, replaces
the request handler with one that resolves those dependencies directly and writes the JSON.
Every other route is FastAPI's own.

A handler marked ``reads_body`` may also take one JSON body model, the ``Request`` and the
``Response`` FastAPI would give it: the body is read and validated as FastAPI does (its own
``request_body_to_args``, the same errors), headers and cookies set on the ``Response`` are
merged into the answer. Only the hottest writes (login, refresh) are marked: their answers
are plain JSON values.

Every route also refuses at once a path that does not start with its literal prefix (the
path up to its first parameter): the app tries its ~300 routes in order, and FastAPI's full
match of each cost a few microseconds, a tenth of REST ``me`` for a route late in the list.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar, cast

import orjson
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_body_to_args
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.routing import APIRoute
from fastapi.utils import is_body_allowed_for_status_code
from pydantic_core import PydanticUndefined as Undefined
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
Handler = TypeVar("Handler", bound=Callable[..., Any])
_READS_BODY = "__identity_reads_body__"


def reads_body(handler: Handler) -> Handler:
    """Answer this handler directly although it takes a JSON body, a Request or a Response."""
    setattr(handler, _READS_BODY, True)
    return handler


class _Resolved:
    """The shared dependencies of one request, each computed at most once."""

    __slots__ = ("_meta", "request", "response", "runtime")

    def __init__(self, request: Request) -> None:
        self.request = request
        self.runtime = cast(Runtime, request.app.state.runtime)
        self._meta: RequestMeta | None = None
        self.response: Response | None = None

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


def direct_parameters(dependant: Dependant) -> list[tuple[str, Resolve]] | None:
    """Each parameter of the handler and its resolver, or None when FastAPI is needed."""
    reads = bool(getattr(dependant.call, _READS_BODY, False))
    if (
        dependant.path_params
        or dependant.query_params
        or dependant.header_params
        or dependant.cookie_params
        or (dependant.body_params and not reads)
        or len(dependant.body_params) > 1
        or (dependant.request_param_name and not reads)
        or (dependant.response_param_name and not reads)
        or dependant.http_connection_param_name
        or dependant.websocket_param_name
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
    if dependant.request_param_name:
        found.append((dependant.request_param_name, _request))
    if dependant.response_param_name:
        found.append((dependant.response_param_name, _response))
    return found


async def _request(resolved: _Resolved) -> Request:
    return resolved.request


async def _response(resolved: _Resolved) -> Response:
    """The response FastAPI gives a handler to set headers and cookies on: no status, no
    content length of its own."""
    response = Response()
    del response.headers["content-length"]
    response.status_code = None  # type: ignore[assignment]
    resolved.response = response
    return response


def _is_json(content_type: str | None) -> bool:
    """``application/json`` or ``application/*+json`` (FastAPI's strict content type). A
    media type without exactly one slash is none (``email.message``, which FastAPI asks,
    reads it as ``text/plain``)."""
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    if media.count("/") != 1:
        return False
    maintype, _, subtype = media.partition("/")
    return maintype == "application" and (subtype == "json" or subtype.endswith("+json"))


async def _received_body(request: Request) -> Any:
    """What FastAPI validates a JSON body model against: the parsed JSON, the raw bytes of
    another content type, or nothing."""
    try:
        body = await request.body()
        if not body:
            return Undefined
        if not _is_json(request.headers.get("content-type")):
            return body
        return json.loads(body)
    except json.JSONDecodeError as error:
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", error.pos),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": error.msg},
                }
            ],
            body=error.doc,
        ) from error
    except Exception as error:
        raise HTTPException(400, "There was an error parsing the body") from error


def _render(content: Any) -> bytes:
    """The JSON FastAPI's ``JSONResponse`` writes for the same content (compact, UTF-8),
    written by orjson: a login's answer in ~10 us instead of ~40-90."""
    return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


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
        parameters = direct_parameters(self.dependant)
        endpoint = self.dependant.call
        if parameters is None or endpoint is None:
            return super().get_route_handler()
        status = self.status_code or 200
        call = cast(Callable[..., Awaitable[Any]], endpoint)
        body_fields = self.dependant.body_params
        embed = bool(getattr(self, "_embed_body_fields", False))

        async def handler(request: Request) -> Response:
            resolved = _Resolved(request)
            values = {name: await resolve(resolved) for name, resolve in parameters}
            if body_fields:
                received = await _received_body(request)
                found, errors = await request_body_to_args(body_fields, received, embed)
                if errors:
                    raise RequestValidationError(errors, body=received)
                values.update(found)
            content = await call(**values)
            if isinstance(content, Response):
                return content
            given = resolved.response
            answer = Response(
                _render(content),
                status_code=(given.status_code if given and given.status_code else status),
                media_type="application/json",
            )
            if not is_body_allowed_for_status_code(answer.status_code):
                answer.body = b""
            if given is not None:
                answer.headers.raw.extend(given.headers.raw)
            return answer

        return handler
