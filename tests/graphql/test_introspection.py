"""The standard introspection query passes where introspection is allowed, bounded by a
rule of its own; data keeps its depth limit, and deeper introspection is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from graphql import build_client_schema, get_introspection_query

from identity.app import create_app
from identity.config import Settings
from schema.limits import INTROSPECTION_MAX_DEPTH
from tests.conftest import open_client

STANDARD = get_introspection_query(
    descriptions=True,
    specified_by_url=True,
    directive_is_repeatable=True,
    schema_description=True,
    input_value_deprecation=True,
)
PRODUCTION = {
    "env": "production",
    "secret_key": "s" * 40,
    "public_url": "https://auth.example.com",
}
# me 1, roles 2, users 3, edges 4, node 5, roles 6, ... id 14: deeper than the default 12.
DEEP_DATA = (
    "{ me { roles { users { edges { node { roles { users { edges { node "
    "{ roles { users { edges { node { id } } } } } } } } } } } } } }"
)


def nested_of_type(levels: int) -> str:
    inner = "name"
    for _ in range(levels):
        inner = f"ofType {{ {inner} }}"
    return f'{{ __type(name: "Query") {{ {inner} }} }}'


async def clients(
    make_settings: Callable[..., Settings], env: str
) -> AsyncIterator[httpx.AsyncClient]:
    overrides = PRODUCTION if env == "production" else {"env": env}
    async for client in open_client(create_app(make_settings(**overrides))):
        yield client


@pytest.fixture
async def development(make_settings: Callable[..., Settings]) -> AsyncIterator[httpx.AsyncClient]:
    async for client in clients(make_settings, "development"):
        yield client


@pytest.fixture
async def production(make_settings: Callable[..., Settings]) -> AsyncIterator[httpx.AsyncClient]:
    async for client in clients(make_settings, "production"):
        yield client


async def test_the_standard_introspection_query_passes_in_development(
    development: httpx.AsyncClient,
) -> None:
    response = await development.post("/graphql", json={"query": STANDARD})

    body = response.json()
    assert "errors" not in body, body.get("errors")
    schema = build_client_schema(body["data"])
    assert "users" in schema.query_type.fields  # type: ignore[union-attr]


async def test_production_still_refuses_introspection(production: httpx.AsyncClient) -> None:
    response = await production.post("/graphql", json={"query": STANDARD})

    body = response.json()
    assert body.get("data") is None
    assert any("introspection" in error["message"].lower() for error in body["errors"])


async def test_introspection_as_deep_as_the_standard_query_passes(
    development: httpx.AsyncClient,
) -> None:
    query = nested_of_type(INTROSPECTION_MAX_DEPTH - 2)  # __type 1, ofType..., name

    response = await development.post("/graphql", json={"query": query})

    assert "errors" not in response.json()


@pytest.mark.parametrize("levels", [INTROSPECTION_MAX_DEPTH - 1, 40])
async def test_introspection_deeper_than_the_standard_query_is_refused(
    development: httpx.AsyncClient, levels: int
) -> None:
    response = await development.post("/graphql", json={"query": nested_of_type(levels)})

    errors = response.json()["errors"]
    assert (
        f"exceeds maximum introspection depth of {INTROSPECTION_MAX_DEPTH}"
        in (errors[0]["message"])
    )
    assert errors[0]["extensions"]["code"] == "QUERY_TOO_DEEP"


async def test_data_keeps_its_own_depth_limit(development: httpx.AsyncClient) -> None:
    response = await development.post("/graphql", json={"query": DEEP_DATA})

    errors = response.json()["errors"]
    assert "exceeds maximum operation depth of 12 (found 14)" in errors[0]["message"]


async def test_introspection_alongside_data_does_not_lift_the_data_limit(
    development: httpx.AsyncClient,
) -> None:
    query = DEEP_DATA[:-1] + " __schema { queryType { name } } }"

    response = await development.post("/graphql", json={"query": query})

    messages = [error["message"] for error in response.json()["errors"]]
    assert any("exceeds maximum operation depth of 12" in message for message in messages)
