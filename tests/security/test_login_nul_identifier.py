"""A login identifier holding NUL (attack A4): PostgreSQL's text cannot hold U+0000, and the
login statement sent it as is (500 on every REST login path, "Unexpected error." on GraphQL).
No account can have such an address: every path answers INVALID_CREDENTIALS, the attempt
counted, on both databases."""

from __future__ import annotations

import httpx
import pytest

IDENTIFIER = "a\u0000@example.com"


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/v1/auth/login", "/auth/token"])
async def test_a_nul_in_the_identifier_is_invalid_credentials_on_rest(
    client: httpx.AsyncClient, path: str
) -> None:
    answer = await client.post(path, json={"email": IDENTIFIER, "password": "Whatever-2026!"})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "INVALID_CREDENTIALS"


async def test_a_nul_in_the_identifier_is_invalid_credentials_on_graphql(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(
        "/graphql",
        json={
            "query": "mutation($i: String!) { login(input: {identifier: $i, password: "
            '"Whatever-2026!"}) { __typename ... on Error { code } } }',
            "variables": {"i": IDENTIFIER},
        },
    )
    assert answer.json()["data"]["login"]["code"] == "INVALID_CREDENTIALS"
