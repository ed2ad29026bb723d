"""Production names nothing the client did not send: no "Did you mean" of any kind.

graphql-core suggests fields, arguments, input fields, types, enum values and
subselections, in validation and again when it coerces variables; with introspection off,
those suggestions would let a client rebuild the schema name by name.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from identity.app import create_app
from identity.config import Settings
from tests.conftest import open_client

PRODUCTION = {
    "env": "production",
    "secret_key": "s" * 40,
    "public_url": "https://auth.example.com",
}

# (kind, query, variables, what the message still says)
CASES: list[tuple[str, str, dict[str, Any] | None, str]] = [
    ("field", "{ healt { status } }", None, "Cannot query field 'healt'"),
    ("argument", "{ roles(limt: 5) { name } }", None, "Unknown argument 'limt'"),
    (
        "input field",
        '{ users(filter: {serch: "x"}) { totalCount } }',
        None,
        "unknown field 'serch'",
    ),
    (
        "input field in variables",
        "query($f: UserFilter) { users(filter: $f) { totalCount } }",
        {"f": {"serch": "x"}},
        "unknown field 'serch'",
    ),
    (
        "type",
        "query($f: UserFiltr) { users(filter: $f) { totalCount } }",
        None,
        "Unknown type 'UserFiltr'",
    ),
    ("fragment type", "{ me { ... on Usr { id } } }", None, "Unknown type 'Usr'"),
    (
        "enum value",
        "{ users(orderBy: {field: EMAL}) { totalCount } }",
        None,
        "Value 'EMAL' does not exist in 'UserSortField' enum",
    ),
    (
        "enum value in variables",
        "query($f: UserSortField!) { users(orderBy: {field: $f}) { totalCount } }",
        {"f": "EMAL"},
        "Value 'EMAL' does not exist in 'UserSortField' enum",
    ),
    ("subselection", "{ health }", None, "must have a selection of subfields"),
]


@pytest.fixture
async def production_client(
    make_settings: Callable[..., Settings],
) -> AsyncIterator[httpx.AsyncClient]:
    async for client in open_client(create_app(make_settings(**PRODUCTION))):
        yield client


async def post(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None
) -> list[str]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code in (200, 400), response.text
    return [error["message"] for error in response.json()["errors"]]


@pytest.mark.parametrize(
    ("kind", "query", "variables", "refusal"), CASES, ids=[c[0] for c in CASES]
)
async def test_development_suggests(
    client: httpx.AsyncClient,
    kind: str,
    query: str,
    variables: dict[str, Any] | None,
    refusal: str,
) -> None:
    """The cases do provoke a suggestion: outside production graphql-core makes one."""
    messages = await post(client, query, variables)

    assert any(refusal in message and "Did you mean" in message for message in messages), messages


@pytest.mark.parametrize(
    ("kind", "query", "variables", "refusal"), CASES, ids=[c[0] for c in CASES]
)
async def test_production_suggests_nothing(
    production_client: httpx.AsyncClient,
    kind: str,
    query: str,
    variables: dict[str, Any] | None,
    refusal: str,
) -> None:
    messages = await post(production_client, query, variables)

    assert any(refusal in message for message in messages), messages
    assert not any("did you mean" in message.lower() for message in messages), messages
