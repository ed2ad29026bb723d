"""What each route takes and can answer, read from its dependencies and the code they reach:
the error statuses (every ``IdentityError`` a route can raise), its security, its rules."""

from __future__ import annotations

import functools
import inspect
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from identity.errors import IdentityError
from identity.pagination import CONTROL_CHARACTERS
from identity.rest import deps as rest_deps
from identity.rest.auth import flows as auth_flows
from identity.rest.errors import STATUS_CODES
from identity.rest.openapi.bodies import string_branches
from identity.rest.openapi.components import (
    BEARER,
    COOKIE_MODE,
    EVERY_ROUTE,
    FOLLOWED_PACKAGES,
    OPERATOR,
    OPERATOR_DEPENDENCY,
    REQUEST_ID_HEADER,
    WRITE_METHODS,
    error_response,
)
from identity.web import cookies
from identity.web.request import bearer_token

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
                for branch in string_branches(parameter.get("schema", {})):
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
            responses[str(status)] = error_response(status)
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
