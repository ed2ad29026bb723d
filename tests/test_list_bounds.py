"""One pagination rule and one JSON rule everywhere, fed what used to crash the service.

Every REST list route (found in the app's routes, not listed by hand) gets a ``page``,
``size``, ``skip``, ``offset`` or ``limit`` too large for a database integer, negative ones,
and a NUL byte in every text filter: each is a 422 ``VALIDATION_ERROR`` naming the
parameter. Every GraphQL list field (found in the schema) gets the same through its
arguments: a ``VALIDATION_ERROR`` naming the argument. Every route that reads a JSON body,
and GraphQL, gets ~6 KB of nesting: 400 ``JSON_TOO_DEEP``. Nothing answers 5xx, and nothing
is logged as an unexpected error.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from graphql import (
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLNamedType,
    GraphQLObjectType,
    get_named_type,
    is_non_null_type,
)
from pydantic import BaseModel

from identity.permissions import Permission
from schema import build_schema
from schema.types.pagination import encode_cursor
from tests.factories import Caller, add_member, caller, new_location, new_tenant
from tests.support.graphql import gql
from tests.support.http import assert_error, error_fields

HUGE = "1185530747884384768"
POSITIONS = frozenset({"page", "skip", "offset"})
SIZES = frozenset({"size", "limit"})
NUL = "x\x00"
DOCUMENTED_LISTS = {
    "/api/v1/users",
    "/api/v1/admin/users",
    "/api/v1/roles",
    "/v1/users",
    "/v1/admin/roles",
}
DEEP_ARRAY = "[" * 3000 + "]" * 3000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000


def deep_json() -> list[str]:
    return [DEEP_ARRAY, DEEP_OBJECT]


@pytest.fixture
async def admin(app: FastAPI, client: httpx.AsyncClient) -> Caller:
    """Every permission, and a member of a tenant assigned to one of its locations, so that
    ``me { tenants { … } }`` and ``me { locations { location { … } } }`` list."""
    admin = await caller(app, permissions=list(Permission))
    tenant = await new_tenant(app)
    await add_member(app, tenant, admin.id)
    await new_location(app, tenant, "BOUNDS", assigned=[admin.id])
    return admin


@pytest.fixture(autouse=True)
def no_unexpected_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """A crash is logged at ERROR (REST's middleware, GraphQL's process_errors)."""
    with caplog.at_level(logging.ERROR):
        yield
    crashes = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert not crashes, [record.getMessage() for record in crashes]


# --- REST ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListRoute:
    path: str
    numbers: tuple[str, ...]
    texts: tuple[str, ...]


def _query_names(route: APIRoute) -> dict[str, Any]:
    """Each query parameter's annotation; a parameter model counts as its fields."""
    found: dict[str, Any] = {}
    for param in route.dependant.query_params:
        annotation = param.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for name, field in annotation.model_fields.items():
                found[name] = field.annotation
        else:
            found[param.name] = annotation
    return found


TEXT_VALUES = {"status": "failure"}
"""Text filters with a closed set of values (the audit log's ``status``): one of them."""


def list_routes(app: FastAPI) -> list[ListRoute]:
    """GET routes that take pagination or text-filter query parameters."""
    found: list[ListRoute] = []
    for route in app.routes:
        if not isinstance(route, APIRoute) or "GET" not in route.methods:
            continue
        params = _query_names(route)
        numbers = tuple(sorted(name for name in params if name in POSITIONS | SIZES))
        texts = tuple(sorted(name for name, kind in params.items() if "str" in str(kind)))
        if numbers or texts:
            found.append(ListRoute(route.path, numbers, texts))
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


def test_the_list_routes_are_found(app: FastAPI) -> None:
    found = {route.path for route in list_routes(app)}

    assert found >= DOCUMENTED_LISTS
    assert all(route.numbers for route in list_routes(app) if route.path in DOCUMENTED_LISTS)


async def test_every_list_answers_sane_values(
    app: FastAPI, client: httpx.AsyncClient, admin: Caller
) -> None:
    for route in list_routes(app):
        params = {name: "1" for name in route.numbers} | {
            name: TEXT_VALUES.get(name, "a") for name in route.texts
        }
        response = await client.get(concrete(route.path), params=params, headers=admin.headers)
        # A list under an object (a tenant's members) is asked of an unknown one: the
        # parameters pass, and the object is not found.
        sane = (200, 404) if "{" in route.path else (200,)
        assert response.status_code in sane, (route.path, response.text)


async def test_out_of_range_numbers_are_refused_naming_the_parameter(
    app: FastAPI, client: httpx.AsyncClient, admin: Caller
) -> None:
    for route in list_routes(app):
        for name in route.numbers:
            values = [HUGE, "-1", "0" if name == "page" else "1000001"]
            if name in SIZES:
                values += ["100000", "0"]
            for value in values:
                response = await client.get(
                    concrete(route.path), params={name: value}, headers=admin.headers
                )
                error = assert_error(response, 422, "VALIDATION_ERROR")
                assert error_fields(error) == {name}, (route.path, name, value)


async def test_a_nul_byte_in_any_text_filter_is_refused_naming_it(
    app: FastAPI, client: httpx.AsyncClient, admin: Caller
) -> None:
    """PostgreSQL cannot compare a NUL byte: it used to be a 500 there."""
    for route in list_routes(app):
        for name in route.texts:
            response = await client.get(
                concrete(route.path), params={name: NUL}, headers=admin.headers
            )
            error = assert_error(response, 422, "VALIDATION_ERROR")
            assert error_fields(error) == {name}, (route.path, name)


def body_routes(app: FastAPI) -> list[tuple[str, str]]:
    return [
        (method, route.path)
        for route in app.routes
        if isinstance(route, APIRoute)
        for method in sorted(route.methods & {"POST", "PUT", "PATCH", "DELETE"})
    ]


async def test_deeply_nested_json_is_refused_on_every_route(
    app: FastAPI, client: httpx.AsyncClient, admin: Caller
) -> None:
    routes = [*body_routes(app), ("POST", "/graphql")]
    assert len(routes) > 40
    for method, path in routes:
        for body in deep_json():
            response = await client.request(
                method,
                concrete(path),
                content=body,
                headers={**admin.headers, "content-type": "application/json"},
            )
            assert_error(response, 400, "JSON_TOO_DEEP")


async def test_deeply_nested_graphql_variables_are_refused(client: httpx.AsyncClient) -> None:
    query = "query($f: UserFilter) { users(filter: $f) { totalCount } }"
    body = f'{{"query": "{query}", "variables": {{"f": {DEEP_OBJECT}}}}}'

    posted = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    over_get = await client.get("/graphql", params={"query": query, "variables": DEEP_ARRAY})

    for response in (posted, over_get):
        assert_error(response, 400, "JSON_TOO_DEEP")
        assert response.json()["errors"][0]["extensions"]["code"] == "JSON_TOO_DEEP"


async def test_moderate_nesting_still_works(client: httpx.AsyncClient) -> None:
    device: object = "laptop"
    for _ in range(20):
        device = {"inner": device}

    response = await client.post(
        "/api/v1/auth/login",
        json={"email": "nobody@example.com", "password": "whatever-1", "device_info": device},
    )

    assert response.status_code == 401


async def test_settings_refuse_odd_numbers(client: httpx.AsyncClient, admin: Caller) -> None:
    listed = await client.get("/v1/admin/settings", headers=admin.headers)
    keys = [one["key"] for one in listed.json()["settings"]]
    assert keys
    for key in keys:
        for value in ("²", "9" * 5000, 10**40, -(10**40)):
            response = await client.patch(
                f"/v1/admin/settings/{key}", json={"value": value}, headers=admin.headers
            )
            assert 400 <= response.status_code < 500, (key, value, response.text)


# --- GraphQL ---------------------------------------------------------------------------------

INT_VALUES = ("-1", "100000", "2147483647")
TEXT_ARGUMENTS = frozenset({"search", "resource", "action", "role"})
PAGINATION_ARGUMENTS = frozenset({"offset", "limit", "first", "skip", "page", "size"})
CLAMPED: frozenset[tuple[str, str, str]] = frozenset()
"""Nested fields whose adapters still clamp ``first``/``limit`` into range instead of
refusing it (none left)."""


@dataclass(frozen=True)
class ListField:
    owner: str
    name: str
    path: tuple[str, ...]  # fields from Query to the owner, each without required arguments
    field: GraphQLField


def _selection(named: GraphQLNamedType) -> str:
    return " { __typename }" if isinstance(named, GraphQLObjectType) else ""


def graphql_list_fields() -> list[ListField]:
    """Fields with pagination or text-filter arguments, each with a path from Query."""
    schema = build_schema()._schema
    assert schema.query_type is not None
    paths: dict[str, tuple[str, ...]] = {schema.query_type.name: ()}
    queue = [schema.query_type]
    while queue:
        current = queue.pop(0)
        for name, field in current.fields.items():
            named = get_named_type(field.type)
            required = any(is_non_null_type(arg.type) for arg in field.args.values())
            if isinstance(named, GraphQLObjectType) and named.name not in paths and not required:
                paths[named.name] = (*paths[current.name], name)
                queue.append(named)
    found: list[ListField] = []
    for type_name, path in paths.items():
        owner = schema.type_map[type_name]
        assert isinstance(owner, GraphQLObjectType)
        for name, field in owner.fields.items():
            if set(field.args) & (PAGINATION_ARGUMENTS | TEXT_ARGUMENTS | {"after", "filter"}):
                found.append(ListField(type_name, name, path, field))
    return found


def document(target: ListField, arguments: str) -> str:
    inner = f"{target.name}({arguments}){_selection(get_named_type(target.field.type))}"
    for step in reversed(target.path):
        inner = f"{step} {{ {inner} }}"
    return f"{{ {inner} }}"


def graphql_cases() -> Iterator[tuple[ListField, str, str]]:
    """(field, arguments, the argument that must be named) for every field."""
    for target in graphql_list_fields():
        for name, argument in target.field.args.items():
            named = get_named_type(argument.type)
            if name in PAGINATION_ARGUMENTS and named.name == "Int":
                for value in INT_VALUES:
                    if name in {"offset", "skip"} and value != "-1":
                        continue
                    yield target, f"{name}: {value}", name
            elif name == "after":
                for cursor in (encode_cursor(int(HUGE)), "not-a-cursor"):
                    yield target, f'{name}: "{cursor}"', name
            elif name in TEXT_ARGUMENTS and named.name == "String":
                yield target, f'{name}: "x\\u0000"', name
            elif isinstance(named, GraphQLInputObjectType):
                for inner in sorted(set(named.fields) & TEXT_ARGUMENTS):
                    yield target, f'{name}: {{{inner}: "x\\u0000"}}', f"{name}.{inner}"


def test_the_graphql_list_fields_are_found() -> None:
    found = {(one.owner, one.name) for one in graphql_list_fields()}

    assert found >= {
        ("Query", "users"),
        ("Query", "roles"),
        ("Query", "permissions"),
        ("Query", "permissionGroups"),
        ("Role", "users"),
        ("User", "loginHistory"),
    }


async def test_graphql_list_arguments_out_of_range_are_refused(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    """``roles(offset: -1, limit: 100000)`` and the like: a stable code naming the argument."""
    cases = list(graphql_cases())
    assert len(cases) > 15
    for target, arguments, named in cases:
        query = document(target, arguments)
        body = await gql(client, query, token=admin.token)
        errors = body.get("errors") or []
        assert all("Unexpected" not in error["message"] for error in errors), (query, errors)
        if (target.owner, target.name, named) in CLAMPED or arguments.endswith("2147483647"):
            continue
        assert errors, (query, body)
        extensions = errors[0].get("extensions") or {}
        assert extensions.get("code") == "VALIDATION_ERROR", (query, errors)
        assert extensions.get("field") == named, (query, errors)


async def test_graphql_roles_offset_minus_one_limit_100000(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    body = await gql(client, "{ roles(offset: -1, limit: 100000) { name } }", token=admin.token)

    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "VALIDATION_ERROR", "field": "offset"}
