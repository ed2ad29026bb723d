"""The one GraphQL client of the tests: post a document (with a token), read the answer.

``gql`` returns the whole body (``data`` and ``errors``), for tests about refusals;
``gql_data`` and ``gql_field`` fail on any error, for tests where a refusal must be data.
"""

from __future__ import annotations

from typing import Any, cast

import httpx

from tests.support.http import bearer

GQL_REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) {
    __typename
    ... on RegisterPayload { user { id email username firstName subscriptionPlan } }
    ... on Error { code message field }
  }
}
"""
GQL_UPDATE_PROFILE = """
mutation Update($input: UpdateProfileInput!) {
  updateProfile(input: $input) {
    __typename
    ... on UserPayload { user { username firstName lastName avatarUrl subscriptionPlan } }
    ... on Error { code message field }
  }
}
"""


async def gql(
    client: httpx.AsyncClient,
    document: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
) -> dict[str, Any]:
    """The whole GraphQL response body (``data`` and ``errors``); the HTTP status is 200."""
    response = await client.post(
        "/graphql", json={"query": document, "variables": variables or {}}, headers=bearer(token)
    )
    assert response.status_code == 200, response.text
    return cast(dict[str, Any], response.json())


async def gql_data(
    client: httpx.AsyncClient,
    document: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
) -> dict[str, Any]:
    """``data`` of an operation that raised no error."""
    body = await gql(client, document, variables, token=token)
    assert "errors" not in body, body
    return cast(dict[str, Any], body["data"])


async def gql_field(
    client: httpx.AsyncClient,
    document: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
) -> dict[str, Any]:
    """The one root field's result of an operation that raised no error."""
    data = await gql_data(client, document, variables, token=token)
    return cast(dict[str, Any], next(iter(data.values())))


def error_code(body: dict[str, Any]) -> str | None:
    """The ``extensions.code`` of a response's first error, if any."""
    errors = body.get("errors")
    if not errors:
        return None
    return cast(str | None, errors[0].get("extensions", {}).get("code"))


def outcome(body: dict[str, Any], field: str) -> str:
    """An error's code (top-level or a union member), else the result's ``__typename``."""
    if body.get("errors"):
        return str(body["errors"][0].get("extensions", {}).get("code", body["errors"][0]))
    result = body["data"][field]
    if isinstance(result, dict) and result.get("code"):
        return str(result["code"])
    if isinstance(result, dict) and "__typename" in result:
        return str(result["__typename"])
    return "ok"
