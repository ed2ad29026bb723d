"""A refresh token that is not text UTF-8 can carry: a lone surrogate, which JSON's
``\\udfff`` escape smuggles in (attack A3). Deriving its successor encoded it strictly and
raised UnicodeEncodeError: 500 on REST, an internal error on GraphQL, before any refusal was
audited. It is an unknown token like any other."""

from __future__ import annotations

import httpx
import pytest

from identity.security.tokens import refresh_successor

LONE_SURROGATE_BODY = b'{"refresh_token":"\\udfff"}'


def test_a_lone_surrogate_has_a_successor_and_text_tokens_keep_theirs() -> None:
    assert refresh_successor(secret_key="k" * 32, parent="\udfff", prefix="rt_")
    assert refresh_successor(secret_key="k" * 32, parent="abc", prefix="rt_") == (
        "rt_XnclODlLFQ3kEAlwsM5nALATs_-d2vWMuLKB9QM6I0U"
    )


@pytest.mark.parametrize("path", ["/api/v1/auth/refresh", "/v1/auth/refresh"])
async def test_a_lone_surrogate_refresh_token_is_refused_on_rest(
    client: httpx.AsyncClient, path: str
) -> None:
    answer = await client.post(
        path, content=LONE_SURROGATE_BODY, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "TOKEN_INVALID"


async def test_a_lone_surrogate_refresh_token_is_refused_on_graphql(
    client: httpx.AsyncClient,
) -> None:
    query = (
        b'{"query":"mutation($t: String!) { refreshToken(input: {refreshToken: $t}) '
        b'{ __typename ... on Error { code } } }","variables":{"t":"\\udfff"}}'
    )
    answer = await client.post(
        "/graphql", content=query, headers={"content-type": "application/json"}
    )
    assert answer.json()["data"]["refreshToken"]["code"] == "TOKEN_INVALID"
