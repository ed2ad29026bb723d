"""Bearer tokens built to break the header's decoding, not its signature (attack A1).

A header segment decoding to deeply nested JSON made ``json.loads`` raise RecursionError,
which no refusal caught: REST answered 500 and GraphQL put Python's message in its errors.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import httpx
import pytest

from identity.errors import TokenInvalid
from identity.security.keys import generate_signing_key
from identity.security.tokens import token_kid, verify_access_token


def _segment(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


HOSTILE_HEADERS = {
    "nested arrays": b"[" * 1200,
    "nested objects under kid": b'{"kid":' + b'{"a":' * 1200,
    "an oversized header": b'{"alg":"ES256","typ":"at+jwt","kid":"' + b"k" * 20_000 + b'"}',
}


@pytest.mark.parametrize("header", HOSTILE_HEADERS.values(), ids=HOSTILE_HEADERS.keys())
def test_a_hostile_header_is_refused_as_an_invalid_token(header: bytes) -> None:
    key = generate_signing_key()
    token = f"{_segment(header)}.e30.{_segment(bytes(64))}"
    assert token_kid(token) is None
    with pytest.raises(TokenInvalid):
        verify_access_token(
            token,
            public_jwks={key.kid: key.public_jwk},
            issuer="https://identity.example.com",
            audience="https://api.example.com",
            now=datetime(2030, 1, 1, tzinfo=UTC),
        )


async def test_a_nested_header_is_a_401_on_rest_and_token_invalid_on_graphql(
    client: httpx.AsyncClient,
) -> None:
    bearer = {"authorization": f"Bearer {_segment(b'[' * 1200)}.e30.{_segment(bytes(64))}"}
    rest = await client.get("/api/v1/auth/me", headers=bearer)
    assert rest.status_code == 401
    assert rest.json()["error"]["code"] == "TOKEN_INVALID"
    graphql = await client.post("/graphql", headers=bearer, json={"query": "{ me { id } }"})
    errors = graphql.json()["errors"]
    assert errors[0]["extensions"]["code"] == "TOKEN_INVALID"
    assert "recursion" not in graphql.text
