"""The one REST error envelope (seed 000), with FastAPI's ``detail`` beside it (seed 004)."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from identity.clock import SystemClock, isoformat_z
from identity.errors import IdentityError, RateLimited
from identity.observability.context import current_request_id

log = logging.getLogger(__name__)
_clock = SystemClock()

STATUS_CODES: dict[int, str] = {
    400: "BAD_REQUEST",
    401: "AUTHENTICATION_REQUIRED",
    403: "PERMISSION_DENIED",
    404: "RESOURCE_NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "RESOURCE_CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    423: "ACCOUNT_LOCKED",
    429: "RATE_LIMIT_EXCEEDED",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
}


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    details: Any = None,
    detail: Any = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
    error_members: dict[str, Any] | None = None,
) -> JSONResponse:
    """``extra``: more top-level members beside ``error`` and ``detail``; ``error_members``:
    more members of ``error`` (seed 000's ``retry_after``)."""
    body: dict[str, Any] = {
        "error": {
            "code": code,
            "message": message,
            "details": details if details is not None else {},
            "timestamp": isoformat_z(_clock.now()),
            "request_id": current_request_id(),
            **(error_members or {}),
        },
        "detail": detail if detail is not None else message,
        **(extra or {}),
    }
    return JSONResponse(body, status_code=status, headers=headers)


def _field_name(location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(location[-1] if location else "")


def _clean_validation_errors(errors: Any) -> list[dict[str, Any]]:
    """FastAPI's error list without ``input`` (it may echo a password) or unserialisable ctx."""
    cleaned: list[dict[str, Any]] = []
    for error in errors:
        item = {"type": error["type"], "loc": list(error["loc"]), "msg": error["msg"]}
        if "ctx" in error:
            item["ctx"] = {key: str(value) for key, value in error["ctx"].items()}
        cleaned.append(item)
    return cleaned


async def _on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    errors = _clean_validation_errors(cast(RequestValidationError, exc).errors())
    details = [
        {"field": _field_name(tuple(error["loc"])), "message": error["msg"], "type": error["type"]}
        for error in errors
    ]
    return error_response(
        422, "VALIDATION_ERROR", "Validation failed", details=details, detail=errors
    )


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path.

    Starlette answers 405 from the first route whose path matches, which names only its own
    methods; ``GET`` and ``PUT`` of one path are two routes here.
    """
    scope = {**request.scope, "method": "\0"}
    literal: set[str] = set()
    templated: set[str] = set()
    for route in request.app.routes:
        match, child = route.matches(scope)
        if match is Match.PARTIAL:
            found = literal if not child.get("path_params") else templated
            found.update(getattr(route, "methods", None) or ())
    # A path spelled out (``/permissions/grouped``) is its own resource, not an id of its
    # templated sibling (``/permissions/{permission_id}``).
    methods = literal or templated
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    exc = cast(StarletteHTTPException, exc)
    status = exc.status_code
    code = STATUS_CODES.get(status, HTTPStatus(status).phrase.upper().replace(" ", "_"))
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    headers = dict(exc.headers or {})
    if status == HTTPStatus.METHOD_NOT_ALLOWED:
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    return error_response(status, code, message, headers=headers)


async def _on_identity_error(_request: Request, exc: Exception) -> JSONResponse:
    exc = cast(IdentityError, exc)
    details = dict(exc.details)
    if exc.field:
        details.setdefault("field", exc.field)
    if isinstance(exc, RateLimited):
        return error_response(
            exc.status,
            exc.code,
            exc.message,
            details=details,
            headers={"Retry-After": str(exc.retry_after)},
            error_members={"retry_after": exc.retry_after},
        )
    return error_response(exc.status, exc.code, exc.message, details=details)


class UnexpectedErrorMiddleware:
    """Answers an unhandled exception with the envelope, inside the request-id middleware.

    Starlette's own 500 handler runs outermost, after the request id and metrics are gone.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error")
            if started:
                raise
            response = error_response(500, "INTERNAL_ERROR", "An unexpected error occurred")
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(IdentityError, _on_identity_error)
