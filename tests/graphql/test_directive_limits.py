"""Directive overloading (graphql-cop's DoS check): a document with many directives at one
place, or in all, is refused with one error before validation lists each of them."""

from __future__ import annotations

import httpx
import pytest

from schema.extensions import MAX_DIRECTIVES, MAX_DIRECTIVES_PER_LOCATION


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
