"""Directive overloading (graphql-cop's DoS check): a document with many directives at one
place, or in all, is refused with one error before validation lists each of them; so is one
with many fields, or one field selected many times at one place (validation's cost grows
with the fields and with the square of one field's repeats)."""

from __future__ import annotations

import httpx
import pytest

from schema.extensions import MAX_DIRECTIVES, MAX_DIRECTIVES_PER_LOCATION, MAX_REPEATS_AT_ONE_PLACE


async def _errors(client: httpx.AsyncClient, query: str) -> list[dict[str, object]]:
    response = await client.post("/graphql", json={"query": query})
    assert response.status_code == 200
    body = response.json()
    assert body.get("data") is None
    return list(body["errors"])


@pytest.mark.parametrize(
    "query",
    [
        "query cop { __typename" + " @aa" * 10 + " }",
        "query { __typename" + " @include(if: true)" * (MAX_DIRECTIVES_PER_LOCATION + 1) + " }",
        "query { " + " ".join(f"a{n}: __typename @skip(if: false)" for n in range(51)) + " }",
    ],
)
async def test_many_directives_get_one_error(client: httpx.AsyncClient, query: str) -> None:
    errors = await _errors(client, query)
    assert len(errors) == 1
    assert errors[0]["extensions"] == {"code": "TOO_MANY_DIRECTIVES"}


async def test_directives_within_the_limits_are_validated_as_usual(
    client: httpx.AsyncClient,
) -> None:
    assert MAX_DIRECTIVES >= 10
    answer = await client.post(
        "/graphql",
        json={"query": "{ __typename @include(if: true) @skip(if: false) }"},
    )
    assert answer.json() == {"data": {"__typename": "Query"}}
    unknown = await _errors(client, "{ __typename @nope }")
    assert len(unknown) == 1
    assert "Unknown directive" in str(unknown[0]["message"])


@pytest.mark.parametrize(
    "query",
    [
        "{ " + " ".join(f"f{n}" for n in range(501)) + " }",
        "{ me { " + " ".join(["email"] * (MAX_REPEATS_AT_ONE_PLACE + 1)) + " } }",
        "query { ...F } fragment F on Query { " + " ".join(["__typename"] * 11) + " }",
    ],
)
async def test_many_fields_or_one_field_repeated_get_one_error_before_validation(
    client: httpx.AsyncClient, query: str
) -> None:
    errors = await _errors(client, query)
    assert len(errors) == 1
    assert errors[0]["extensions"] == {"code": "TOO_MANY_FIELDS"}


async def test_fields_within_the_limits_are_validated_as_usual(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/graphql",
        json={"query": "{ " + " ".join(["__typename"] * MAX_REPEATS_AT_ONE_PLACE) + " }"},
    )
    assert answer.json() == {"data": {"__typename": "Query"}}
    unknown = await _errors(client, "{ " + " ".join(f"f{n}" for n in range(3)) + " }")
    assert len(unknown) == 3
