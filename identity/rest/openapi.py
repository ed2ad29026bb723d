"""The OpenAPI document as the server really answers, built from the routes themselves.

FastAPI's own document declares only the 2xx answer and a 422 shaped like its
``HTTPValidationError``, which this service never sends. Here every operation also gets:

- the error envelope of ``identity.rest.errors`` for each error status it can answer. The
  statuses come from what the route depends on and calls: a required caller (401, 403), path
  parameters (404: no such resource, or a value the path's converter refuses), parameters or a
  body (422, and 400/413 for a body), and every ``IdentityError`` subclass the endpoint, its
  dependencies and the service functions they call name in their code (found by walking the
  functions' referenced names, so a route that can raise ``Conflict`` declares 409, one that can
  raise ``TooManyAttempts`` 429, and so on);
- the security it takes: the bearer access token (required, or optional where a token only
  changes the answer), and the refresh cookie with its CSRF double submit (seed 001's cookie
  mode) on the refresh and logout routes;
- the rules the services apply that FastAPI cannot see (``email`` or ``username`` to log in);
- the ``X-Request-ID`` header every answer carries.
"""

from __future__ import annotations

import functools
import inspect
import re
import sys
import types
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from identity.errors import IdentityError
from identity.pagination import CONTROL_CHARACTERS
from identity.rest import auth_flows
from identity.rest import deps as rest_deps
from identity.rest.errors import STATUS_CODES
from identity.security.password_policy import MAX_LENGTH as MAX_PASSWORD_LENGTH
from identity.security.password_policy import MIN_LENGTH as MIN_PASSWORD_LENGTH
from identity.services.permission_catalog import (
    MAX_DESCRIPTION_LENGTH as PERMISSION_DESCRIPTION_LENGTH,
)
from identity.services.roles import MAX_DESCRIPTION_LENGTH as ROLE_DESCRIPTION_LENGTH
from identity.services.roles import MAX_NAME_LENGTH as ROLE_NAME_LENGTH
from identity.services.text_rules import has_control_characters
from identity.web import cookies
from identity.web.request import bearer_token

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
EVERY_ROUTE = frozenset({400, 500})
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

# Rules the services apply to a body that its model cannot express.
LOGIN_RULE: dict[str, Any] = {
    "description": "Log in with `email` or `username`: the first of them that is not empty "
    "is the identifier, and it must hold more than spaces.",
    "anyOf": [
        {"required": ["email"], "properties": {"email": {"type": "string", "pattern": r"\S"}}},
        {
            "required": ["username"],
            "properties": {
                "email": {"enum": [None, ""]},
                "username": {"type": "string", "pattern": r"\S"},
            },
        },
    ],
}
PERMISSION_PART = r"[a-z][a-z0-9_.-]{0,49}"
PERMISSION_RULE: dict[str, Any] = {
    "description": "A permission is named `resource:action` (lower-case letters, digits, "
    "'_', '.' or '-', each part starting with a letter, at most 50 characters): by `name`, or "
    "by `resource` and `action` together (which must agree with a name sent beside them).",
    "anyOf": [
        {
            "required": ["name"],
            "properties": {
                "name": {
                    "type": "string",
                    "pattern": rf"^\s*{PERMISSION_PART}:{PERMISSION_PART}\s*$",
                },
                "resource": {"type": "null"},
                "action": {"type": "null"},
            },
        },
        {
            "required": ["resource", "action"],
            "properties": {
                "name": {"enum": [None, ""]},
                "resource": {"type": "string", "pattern": rf"^\s*{PERMISSION_PART}\s*$"},
                "action": {"type": "string", "pattern": rf"^\s*{PERMISSION_PART}\s*$"},
            },
        },
    ],
}
BULK_RULE: dict[str, Any] = {
    "description": "`assign_role` needs `role`.",
    "anyOf": [
        {"properties": {"action": {"not": {"const": "assign_role"}}}},
        {"required": ["role"], "properties": {"role": {"type": "string", "minLength": 1}}},
    ],
}
PROFILE_RULE: dict[str, Any] = {
    "description": "A new `username` needs `current_password` (re-authentication).",
    "anyOf": [
        {"properties": {"username": {"anyOf": [{"type": "null"}, {"pattern": r"^\s*$"}]}}},
        {
            "required": ["current_password"],
            "properties": {"current_password": {"type": "string", "minLength": 1}},
        },
    ],
}


def _at_least_one(single: str, many: str) -> dict[str, Any]:
    """Seeds 003 and 004 name one id (``single``) or a list (``many``): at least one."""
    return {
        "description": f"Name at least one: `{single}`, or a non-empty `{many}`.",
        "anyOf": [
            {"required": [single], "properties": {single: {"type": "string"}}},
            {"required": [many], "properties": {many: {"type": "array", "minItems": 1}}},
        ],
    }


BODY_RULES: dict[str, dict[str, Any]] = {
    "ProfileBody": PROFILE_RULE,
    "RoleIdsBody": _at_least_one("role_id", "role_ids"),
    "PermissionIdsBody": _at_least_one("permission_id", "permission_ids"),
    "LoginBody": LOGIN_RULE,
    "PermissionBody": PERMISSION_RULE,
    "BulkBody": BULK_RULE,
}

HTTPS_URL = r"^(\s*|https://[A-Za-z0-9.-]+(:[0-9]{1,5})?([/?#][!-~]*)?)$"
USERNAME = r"^\s*[\w.-]{0,150}\s*$"
# Addresses at special-use domains (``.test``, ``.local``...) are refused by the validator.
EMAIL_PATTERN = (
    r"^(?![\s\S]*@([\s\S]*\.)?("
    + "|".join(
        "".join(f"[{char.lower()}{char.upper()}]" for char in name)
        for name in SPECIAL_USE_DOMAIN_NAMES
    )
    + r")\.?$)"
)
# Property rules by name, for the string values of every request body's property of that name
# (models listed in ``except`` keep theirs): the checks the services make after pydantic.
PROPERTY_RULES: dict[str, tuple[dict[str, Any], frozenset[str]]] = {
    "email": ({"format": "email", "pattern": EMAIL_PATTERN}, frozenset({"LoginBody"})),
    "password": (
        {"minLength": MIN_PASSWORD_LENGTH, "maxLength": MAX_PASSWORD_LENGTH},
        frozenset({"LoginBody"}),
    ),
    "new_password": (
        {"minLength": MIN_PASSWORD_LENGTH, "maxLength": MAX_PASSWORD_LENGTH},
        frozenset(),
    ),
    "avatar_url": (
        {"pattern": HTTPS_URL, "description": "An https URL; empty or spaces clear it."},
        frozenset(),
    ),
    "username": ({"pattern": USERNAME}, frozenset({"LoginBody"})),
}
# Text the services refuse control and invisible formatting characters in.
PLAIN_TEXT_PROPERTIES = frozenset(
    {
        "first_name",
        "last_name",
        "name",
        "display_name",
        "organization",
        "subscription_plan",
        "description",
    }
)
# List filters refused with a control character (``identity.rest.params.FilterText``).
FILTER_PARAMETERS = frozenset({"search", "role", "resource", "action"})
FILTER_PATTERN = f"^[^{CONTROL_CHARACTERS.pattern[1:-1]}]*$"
# Body rules of one operation, by its endpoint (``module:function``): an administrator made
# through seed 000's admin route cannot take the plain ``user`` role.
OPERATION_BODY_RULES: dict[str, dict[str, Any]] = {
    "identity.rest.users:create_admin": {
        "properties": {"role": {"not": {"pattern": r"^\s*[uU][sS][eE][rR]\s*$"}}}
    },
}
# Answers an endpoint builds itself (``JSONResponse``), by endpoint (``module:function``):
# the health checks answer 503, with the same report, when the database is unreachable.
HEALTH_UNAVAILABLE: dict[str, Any] = {
    "description": "Unhealthy: the same report, with the failing check.",
    "content": {"application/json": {"schema": {"type": "object"}}},
}
OPERATION_RESPONSES: dict[str, dict[str, dict[str, Any]]] = {
    "identity.rest.health:health": {"503": HEALTH_UNAVAILABLE},
    "identity.rest.health:health_detailed": {"503": HEALTH_UNAVAILABLE},
}
# Unassigned and private-use code points: never refused by the name rules, and too many to
# test. Lone surrogates (Cs) are refused too but left out: JSON text cannot carry them.
UNCHECKED_CATEGORIES = frozenset({"Cn", "Co"})
# Spaces only (no control character among them): the default plan.
BLANK = "^[ \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]*$"
PLAN_RULE: dict[str, Any] = {
    "pattern": BLANK,
    "description": "Empty: the default plan. Administrators set plans; registration also "
    "takes the plans the `self_selectable_plans` runtime setting lists.",
}
# Per model and property: role names are collapsed and must hold more than spaces; plans
# are not the caller's to choose on registration and on their own profile.
MODEL_PROPERTY_RULES: dict[tuple[str, str], dict[str, Any]] = {
    ("CreateRoleBody", "name"): {"maxLength": ROLE_NAME_LENGTH},
    ("UpdateRoleBody", "name"): {"maxLength": ROLE_NAME_LENGTH},
    ("CreateRoleBody", "description"): {"maxLength": ROLE_DESCRIPTION_LENGTH},
    ("UpdateRoleBody", "description"): {"maxLength": ROLE_DESCRIPTION_LENGTH},
    ("PermissionBody", "description"): {"maxLength": PERMISSION_DESCRIPTION_LENGTH},
    ("CreateUserBody", "role"): {"pattern": r"\S"},
    ("UpdateUserBody", "role"): {"pattern": r"\S", "description": "Null leaves the role."},
    ("RegisterBody", "subscription_plan"): PLAN_RULE,
    ("ProfileBody", "subscription_plan"): {
        "maxLength": 0,
        "description": "Administrators set plans: only empty (or the plan held now) is taken.",
    },
}
NON_BLANK_NAMES = frozenset({("CreateRoleBody", "name"), ("UpdateRoleBody", "name")})


def install(app: FastAPI) -> None:
    """Serve the document built here at the app's ``openapi_url`` (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def build_document(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=app.routes,
    )
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(ERROR_SCHEMAS)
    components["securitySchemes"] = SECURITY_SCHEMES
    components["headers"] = {
        REQUEST_ID_HEADER: {
            "description": "The request's id: the one sent, if sane, or a new one.",
            "required": True,
            "schema": {"type": "string", "minLength": 1},
        }
    }
    for name, rule in BODY_RULES.items():
        if name in schemas:
            schemas[name] = {**schemas[name], **rule}
    for name in _body_models(app):
        if name in schemas:
            _apply_property_rules(name, schemas[name])
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        facts = RouteFacts(route)
        for method in route.methods or ():
            operation = document["paths"][route.path_format].get(method.lower())
            if operation is not None:
                facts.declare(operation)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document


def _body_models(app: FastAPI) -> set[str]:
    """The component names of the request bodies' models."""
    names: set[str] = set()
    for route in app.routes:
        if isinstance(route, APIRoute) and route.body_field is not None:
            names.update(_model_names(route.body_field.field_info.annotation))
    return names


def _model_names(annotation: Any) -> Iterator[str]:
    if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
        yield annotation.__name__
    for argument in getattr(annotation, "__args__", ()):
        yield from _model_names(argument)


def _apply_property_rules(model: str, schema: dict[str, Any]) -> None:
    for name, prop in schema.get("properties", {}).items():
        rules: dict[str, Any] = {}
        if name in PROPERTY_RULES and model not in PROPERTY_RULES[name][1]:
            rules.update(PROPERTY_RULES[name][0])
        if (model, name) in NON_BLANK_NAMES:
            rules.update(pattern=non_blank_text_pattern(), minLength=1)
        elif name in PLAIN_TEXT_PROPERTIES:
            rules["pattern"] = plain_text_pattern()
        rules.update(MODEL_PROPERTY_RULES.get((model, name), {}))
        for branch in _string_branches(prop):
            branch.update({key: value for key, value in rules.items() if key != "description"})
        if "description" in rules:
            prop.setdefault("description", rules["description"])


def _string_branches(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if schema.get("type") == "string":
        yield schema
    for branch in schema.get("anyOf", ()):
        yield from _string_branches(branch)


def plain_text_pattern() -> str:
    """Any text without the characters ``text_rules`` refuses in names."""
    return f"^[^{_refused_ranges()}]*$"


def non_blank_text_pattern() -> str:
    """Such text with at least one character that is not a space."""
    refused = _refused_ranges()
    return f"^[^{refused}]*[^\\s{refused}][^{refused}]*$"


@functools.cache
def _refused_ranges() -> str:
    """The characters ``text_rules`` refuses in names, as the inside of a regex class."""
    refused = [
        code
        for code in range(sys.maxunicode + 1)
        if (category := unicodedata.category(chr(code)))[0] in "CZ"
        and category not in UNCHECKED_CATEGORIES
        and category != "Cs"
        and has_control_characters(chr(code))
    ]
    ranges: list[tuple[int, int]] = []
    for code in refused:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return "".join(
        _escape(start) if start == end else f"{_escape(start)}-{_escape(end)}"
        for start, end in ranges
    )


def _escape(code: int) -> str:
    """The character itself (regex engines differ on ``\\u`` escapes), escaped if special."""
    return re.escape(chr(code))


REQUIRED_PRINCIPAL = (rest_deps.require_principal, auth_flows.password_changer)
"""Dependencies that refuse a request without a valid bearer token."""


class RouteFacts:
    """What one route takes and can answer, read from its dependencies and code."""

    def __init__(self, route: APIRoute) -> None:
        self.route = route
        dependants = list(_dependants(route.dependant))
        self.calls = [one.call for one in dependants if one.call is not None]
        self.requires_principal = any(call in REQUIRED_PRINCIPAL for call in self.calls)
        self.optional_principal = rest_deps.optional_principal in self.calls
        self.has_path_params = any(one.path_params for one in dependants)
        self.has_params = self.has_path_params or any(
            one.query_params or one.header_params or one.cookie_params for one in dependants
        )
        self.has_body = route.body_field is not None
        self.errors = _raisable(self.calls)
        self.reads_refresh_cookie = any(
            _references(call, cookies.cookie_refresh_token) for call in self.calls
        )
        self.operator = any(
            getattr(call, "__name__", "") == OPERATOR_DEPENDENCY for call in self.calls
        )

    def statuses(self) -> set[int]:
        found = {error.status for error in self.errors}
        found |= EVERY_ROUTE
        if self.requires_principal:
            found |= {401, 403}
        if self.optional_principal:
            found.add(401)
        if self.has_path_params:
            found.add(404)
        if self.has_params or self.has_body:
            found.add(422)
        if self.has_body or (self.route.methods or set()) & WRITE_METHODS:
            found.add(413)
        return {status for status in found if status >= 400}

    def security(self) -> list[dict[str, list[str]]] | None:
        if self.requires_principal:
            return [{BEARER: []}]
        if self.operator:
            return [{}, {OPERATOR: []}]
        options: list[dict[str, list[str]]] = []
        reads_bearer = self.optional_principal or any(
            _references(call, bearer_token) for call in self.calls
        )
        if reads_bearer:
            options.append({BEARER: []})
        if self.reads_refresh_cookie:
            options.append(COOKIE_MODE)
        if not options:
            return None
        if reads_bearer or self.has_body:
            options.insert(0, {})
        return options

    def declare(self, operation: dict[str, Any]) -> None:
        for parameter in operation.get("parameters", ()):
            if parameter.get("in") == "query" and parameter.get("name") in FILTER_PARAMETERS:
                for branch in _string_branches(parameter.get("schema", {})):
                    branch["pattern"] = FILTER_PATTERN
        endpoint = f"{self.route.endpoint.__module__}:{self.route.endpoint.__name__}"
        for code, answer in OPERATION_RESPONSES.get(endpoint, {}).items():
            operation["responses"][code] = dict(answer)
        body_rule = OPERATION_BODY_RULES.get(endpoint)
        if body_rule is not None:
            for content in operation.get("requestBody", {}).get("content", {}).values():
                content["schema"] = {"allOf": [content["schema"], body_rule]}
        responses: dict[str, Any] = operation.setdefault("responses", {})
        for status in sorted(self.statuses()):
            responses[str(status)] = _error_response(status)
        for response in responses.values():
            response.setdefault("headers", {})[REQUEST_ID_HEADER] = {
                "$ref": f"#/components/headers/{REQUEST_ID_HEADER}"
            }
        security = self.security()
        if security is not None:
            operation["security"] = security
        codes = sorted(
            {error.code for error in self.errors if isinstance(error.code, str)}
            | {STATUS_CODES[status] for status in self.statuses() if status in STATUS_CODES}
        )
        if codes:
            note = "Error codes this operation can answer: " + ", ".join(f"`{c}`" for c in codes)
            operation["description"] = "\n\n".join(
                part for part in (operation.get("description"), note) if part
            )


def _error_response(status: int) -> dict[str, Any]:
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
        429: "Too many attempts; try again later.",
        500: "Unexpected error.",
        503: "A dependency is unavailable.",
    }
    return {
        "description": descriptions.get(status, STATUS_CODES.get(status, "Error")),
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{envelope}"}}},
    }


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for one in dependant.dependencies:
        yield from _dependants(one)


def _raisable(calls: list[Callable[..., Any]]) -> set[type[IdentityError]]:
    """Every ``IdentityError`` class named by the calls or by the functions they reach."""
    found: set[type[IdentityError]] = set()
    seen: set[int] = set()
    pending: list[Any] = list(calls)
    while pending:
        function = _unwrap(pending.pop())
        if function is None or id(function) in seen:
            continue
        seen.add(id(function))
        for value in _referenced(function):
            if isinstance(value, type) and issubclass(value, IdentityError):
                found.add(value)
            elif _followed(value):
                pending.append(value)
    return found


def _unwrap(value: Any) -> types.FunctionType | None:
    value = inspect.unwrap(value) if callable(value) else value
    return value if isinstance(value, types.FunctionType) else None


def _followed(value: Any) -> bool:
    module = getattr(value, "__module__", None) or ""
    return isinstance(value, types.FunctionType) and module.startswith(FOLLOWED_PACKAGES)


@functools.cache
def _referenced(function: types.FunctionType) -> tuple[Any, ...]:
    """The globals a function's code (and its nested code) names, modules' members included
    (computed once per function: the document walks the same services from many routes)."""
    return tuple(_names_resolved(function))


def _names_resolved(function: types.FunctionType) -> Iterator[Any]:
    """The globals a function's code (and its nested code) names, modules' members included.

    ``module.name`` compiles to the names ``module`` and ``name``; each name is looked up in
    the function's globals and in every module it names, so calls through a module are
    followed as well as direct ones.
    """
    names: set[str] = set()
    codes = [function.__code__]
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        codes.extend(const for const in code.co_consts if isinstance(const, types.CodeType))
    namespace = function.__globals__
    modules = [
        module
        for name in names
        # ``import x`` and ``from x import y`` inside a function name ``x`` in the code.
        if isinstance(module := namespace.get(name, sys.modules.get(name)), types.ModuleType)
    ]
    # ``obj.method()`` compiles to the name ``method``: methods of this module's classes.
    classes = [
        value
        for value in namespace.values()
        if isinstance(value, type)
        and value.__module__.startswith(FOLLOWED_PACKAGES)
        and not issubclass(value, BaseException)
    ]
    for name in names:
        if name in namespace:
            yield namespace[name]
        for module in modules:
            if module.__name__.startswith(FOLLOWED_PACKAGES) and hasattr(module, name):
                yield getattr(module, name)
        for cls in classes:
            method = _class_attribute(cls, name)
            if isinstance(method, types.FunctionType):
                yield method


def _class_attribute(cls: type, name: str) -> Any:
    """``name`` as the class (or a base) defines it, without running descriptors."""
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    return None


def _references(call: Callable[..., Any], target: Callable[..., Any]) -> bool:
    function = _unwrap(call)
    if function is None:
        return False
    seen: set[int] = set()
    pending = [function]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for value in _referenced(current):
            if value is target:
                return True
            if _followed(value):
                pending.append(value)
    return False
