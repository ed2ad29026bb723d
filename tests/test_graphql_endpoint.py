"""The GraphQL endpoint: GraphiQL, limits, and production hardening."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from identity.app import create_app
from identity.config import Settings
from schema import build_schema
from schema.app import build_graphql_app
from tests.conftest import open_client

TYPENAME = "{ __typename }"
INTROSPECTION = "{ __schema { queryType { name } } }"
PRODUCTION = {
    "env": "production",
    "secret_key": "s" * 40,
    "public_url": "https://auth.example.com",
}


def deep_query(depth: int) -> str:
    """A query nesting introspection types ``depth`` levels deep."""
    inner = "name"
    for _ in range(depth):
        inner = f"ofType {{ {inner} }}"
    return f'{{ __type(name: "Query") {{ {inner} }} }}'


def aliased_query(count: int) -> str:
    return "{ " + " ".join(f"a{n}: __typename" for n in range(count)) + " }"


async def test_typename_answers(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": TYPENAME})

    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_graphiql_is_served_outside_production(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"accept": "text/html"})

    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_queries_work_over_get(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": TYPENAME})

    assert response.json() == {"data": {"__typename": "Query"}}


async def test_introspection_depth_20_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": deep_query(20)})

    errors = response.json()["errors"]
    assert "exceeds maximum introspection depth" in errors[0]["message"]


async def test_fifty_aliases_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": aliased_query(50)})

    errors = response.json()["errors"]
    assert "aliases found. Allowed: 15" in errors[0]["message"]


async def test_a_few_aliases_are_allowed(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": aliased_query(3)})

    assert response.json()["data"] == {"a0": "Query", "a1": "Query", "a2": "Query"}


async def test_token_limit_refuses_huge_documents(client: httpx.AsyncClient) -> None:
    query = "{ " + " ".join("__typename" for _ in range(3000)) + " }"

    response = await client.post("/graphql", json={"query": query})

    assert "more than 2000 tokens" in response.json()["errors"][0]["message"]


async def test_development_suggests_field_names(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ healt { status } }"})

    assert "Did you mean" in response.json()["errors"][0]["message"]


@pytest.fixture
async def production_client(
    make_settings: Callable[..., Settings],
) -> httpx.AsyncClient:
    app = create_app(make_settings(**PRODUCTION))
    async for client in open_client(app):
        yield client  # type: ignore[misc]


async def test_production_refuses_introspection(production_client: httpx.AsyncClient) -> None:
    response = await production_client.post("/graphql", json={"query": INTROSPECTION})

    assert "introspection" in response.json()["errors"][0]["message"].lower()
    assert response.json().get("data") is None


async def test_production_serves_no_graphiql(production_client: httpx.AsyncClient) -> None:
    response = await production_client.get("/graphql", headers={"accept": "text/html"})

    assert "graphiql" not in response.text.lower()
    assert response.status_code != 200


async def test_production_gives_no_suggestions(production_client: httpx.AsyncClient) -> None:
    response = await production_client.post("/graphql", json={"query": "{ healt { status } }"})

    message = response.json()["errors"][0]["message"]
    assert "Cannot query field 'healt'" in message
    assert "Did you mean" not in message


async def test_production_still_answers_queries(production_client: httpx.AsyncClient) -> None:
    response = await production_client.post("/graphql", json={"query": "{ health { status } }"})

    assert response.json() == {"data": {"health": {"status": "HEALTHY"}}}


def test_every_type_and_field_has_a_description() -> None:
    graphql_schema = build_schema().as_str()
    schema = build_schema()._schema
    missing: list[str] = []
    for name, graphql_type in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Boolean", "Int", "Float", "ID"}:
            continue
        if not graphql_type.description:
            missing.append(name)
        for field_name, field in getattr(graphql_type, "fields", {}).items():
            if not field.description:
                missing.append(f"{name}.{field_name}")
        for value_name, value in getattr(graphql_type, "values", {}).items():
            if not value.description:
                missing.append(f"{name}.{value_name}")
    assert graphql_schema
    assert missing == []


async def test_a_lone_surrogate_in_variables_gets_an_error_not_a_crash(
    client: httpx.AsyncClient,
) -> None:
    """JSON lets a client send "\\ud800"; the answer repeats it in the error message."""
    body = '{"query": "query($f: UserSortField!) { users(orderBy: {field: $f}) { totalCount } }",'
    body += ' "variables": {"f": "\\ud800"}}'
    response = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )

    assert response.status_code == 200, response.text
    assert "UserSortField" in response.json()["errors"][0]["message"]


def test_answers_the_fast_encoder_refuses_are_still_encoded() -> None:
    deep: object = "bottom"
    for _ in range(300):
        deep = [deep]
    app = build_graphql_app(Settings())

    for data in ({"data": {"device": deep}}, {"errors": [{"message": "bad \ud800"}]}):
        encoded = app.encode_json(data)
        assert json.loads(encoded) == data


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'{"query": 1}', 400),
        (b'{"query": "{ __typename }", "variables": []}', 400),
        (b'{"query": "{ __typename }", "extensions": "x"}', 400),
        (b'{"query": "{ __typename }"', 400),
        (b'[{"query": "{ __typename }"}]', 400),  # no batching
        (b'"{ __typename }"', 400),
        (b"null", 400),
        (b"7", 400),
        (b'{"query": "{ __typename }", "operationName": 5}', 400),
        (b'{"query": "{ __typename }", "operationName": null, "variables": null}', 200),
        (b"{}", 400),
    ],
)
@pytest.mark.parametrize(
    "content_type", ["application/json", "Application/JSON; charset=utf-8; profile=x"]
)
async def test_every_json_post_is_answered_not_crashed(
    client: httpx.AsyncClient, body: bytes, status: int, content_type: str
) -> None:
    response = await client.post("/graphql", content=body, headers={"content-type": content_type})

    assert response.status_code == status, response.text
