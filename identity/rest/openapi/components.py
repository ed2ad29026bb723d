"""The document's shared parts: security schemes, the error envelope, the request-id header."""

from __future__ import annotations

from typing import Any

from identity.rest.errors import STATUS_CODES
from identity.web import cookies

BEARER = "bearerAuth"
OPERATOR = "operatorToken"
# The dependency of the operator routes (/metrics, /health/detailed), matched by name.
OPERATOR_DEPENDENCY = "require_operator"
REFRESH_COOKIE = "refreshCookie"
CSRF_COOKIE = "csrfCookie"
CSRF_HEADER = "csrfHeader"
ENVELOPE = "ErrorEnvelope"
VALIDATION_ENVELOPE = "ValidationErrorEnvelope"
REQUEST_ID_HEADER = "X-Request-ID"

# Every route can answer these: a query or body whose JSON nests too deep (400), a crash.
EVERY_ROUTE = frozenset({400, 429, 500})  # every route spends a rate budget
# A body larger than the route's cap (413), which any of these methods can send.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Modules whose functions are followed when looking for the errors a route can raise.
FOLLOWED_PACKAGES = ("identity.",)

SECURITY_SCHEMES: dict[str, Any] = {
    BEARER: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from a login, a refresh or a magic link.",
    },
    OPERATOR: {
        "type": "http",
        "scheme": "bearer",
        "description": "The operator routes' token (IDENTITY_METRICS_TOKEN): required when set; "
        "when unset these routes are open outside production and absent in production.",
    },
    REFRESH_COOKIE: {
        "type": "apiKey",
        "in": "cookie",
        "name": cookies.REFRESH_COOKIE,
        "description": "Browser mode: the HttpOnly refresh cookie set by a cookie login.",
    },
    CSRF_COOKIE: {
        "type": "apiKey",
        "in": "cookie",
        "name": cookies.CSRF_COOKIE,
        "description": "Browser mode: the CSRF cookie set beside the refresh cookie.",
    },
    CSRF_HEADER: {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
        "description": "Browser mode: echoes the CSRF cookie (double submit); required with "
        "the refresh cookie.",
    },
}
COOKIE_MODE: dict[str, list[str]] = {REFRESH_COOKIE: [], CSRF_COOKIE: [], CSRF_HEADER: []}

ERROR_SCHEMAS: dict[str, Any] = {
    "ErrorBody": {
        "type": "object",
        "required": ["code", "message", "details", "timestamp", "request_id"],
        "properties": {
            "code": {"type": "string", "description": "Stable machine code of the refusal."},
            "message": {"type": "string"},
            "details": {
                "description": "An object (the field and reason of a refusal), or for a "
                "request that does not match this document the list of its problems.",
                "anyOf": [
                    {"type": "object"},
                    {"type": "array", "items": {"$ref": "#/components/schemas/FieldProblem"}},
                ],
            },
            "timestamp": {"type": "string", "format": "date-time"},
            "request_id": {"type": ["string", "null"]},
        },
    },
    "FieldProblem": {
        "type": "object",
        "required": ["field", "message", "type"],
        "properties": {
            "field": {"type": "string"},
            "message": {"type": "string"},
            "type": {"type": "string"},
        },
    },
    "ValidationIssue": {
        "type": "object",
        "required": ["type", "loc", "msg"],
        "properties": {
            "type": {"type": "string"},
            "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
            "msg": {"type": "string"},
            "ctx": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
    ENVELOPE: {
        "type": "object",
        "required": ["error", "detail"],
        "properties": {
            "error": {"$ref": "#/components/schemas/ErrorBody"},
            "detail": {"type": "string", "description": "The message again (seed 004)."},
        },
    },
    VALIDATION_ENVELOPE: {
        "type": "object",
        "required": ["error", "detail"],
        "properties": {
            "error": {"$ref": "#/components/schemas/ErrorBody"},
            "detail": {
                "description": "The message, or for a request that does not match this "
                "document FastAPI's list of problems (without the input).",
                "anyOf": [
                    {"type": "string"},
                    {"type": "array", "items": {"$ref": "#/components/schemas/ValidationIssue"}},
                ],
            },
        },
    },
}


def error_response(status: int) -> dict[str, Any]:
    envelope = VALIDATION_ENVELOPE if status == 422 else ENVELOPE
    descriptions = {
        400: "The request could not be read: JSON nested too deep, in the body or in a query "
        "value.",
        401: "No valid credentials: missing, invalid, expired or revoked token, or wrong "
        "credentials.",
        403: "Authenticated, but not allowed (permission, disabled account, CSRF, feature off).",
        404: "No such resource (or a path value that names none).",
        409: "Conflicts with the current state (taken name or address, protected or last "
        "super-admin, already done).",
        413: "The request body is larger than this route accepts.",
        422: "The request breaks a rule: the body or parameters do not match this document, "
        "or a service rule refused a value.",
        423: "The account is locked.",
        429: "A rate budget is spent (`Retry-After` says in how many seconds to try again; "
        "see the X-RateLimit-* headers), or too many attempts on one account.",
        500: "Unexpected error.",
        503: "A dependency is unavailable.",
    }
    return {
        "description": descriptions.get(status, STATUS_CODES.get(status, "Error")),
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{envelope}"}}},
    }
