"""Request bodies are capped before they are read: 64 KB on authentication routes, 1 MB on
GraphQL and the JSON routes, answered 413 with the envelope; GraphQL documents are capped by
size as well as by tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from identity.app import create_app
from identity.config import Settings
from tests.conftest import open_client
from tests.support.http import assert_error

MB = 1024 * 1024
CHUNK = 64 * 1024


class Chunks:
    """A request body sent in chunks, counting how many the server pulled."""

    def __init__(self, total: int, *, fill: bytes = b" ") -> None:
        self.total = total
        self.fill = fill
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        sent = 0
        while sent < self.total:
            size = min(CHUNK, self.total - sent)
            self.pulled += 1
            sent += size
            yield self.fill * size


def graphql_document(size: int) -> bytes:
    """A JSON body whose GraphQL document is ``size`` bytes of a query padded with spaces."""
    head = b'{"query": "{ __typename '
    tail = b'}"}'
    return head + b" " * (size - len(head) - len(tail)) + tail


async def test_a_10_mb_graphql_document_is_refused_unread(client: httpx.AsyncClient) -> None:
    body = Chunks(10 * MB)

    response = await client.post(
        "/graphql",
        content=body,
        headers={"content-type": "application/json", "content-length": str(10 * MB)},
    )

    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert body.pulled == 0


async def test_a_chunked_body_without_length_is_cut_off_at_the_cap(
    client: httpx.AsyncClient,
) -> None:
    body = Chunks(10 * MB)

    response = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )

    assert "content-length" not in response.request.headers
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert body.pulled <= MB // CHUNK + 1


async def test_a_graphql_body_under_the_cap_is_answered(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        content=graphql_document(MB - 1000),
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 200
    errors = response.json()["errors"]
    assert errors[0]["extensions"]["code"] == "DOCUMENT_TOO_LARGE"


async def test_a_chunked_body_under_the_cap_arrives_whole(client: httpx.AsyncClient) -> None:
    query = b'{"query": "{ __typename }"}'

    async def pieces() -> AsyncIterator[bytes]:
        for offset in range(0, len(query), 5):
            yield query[offset : offset + 5]

    response = await client.post(
        "/graphql", content=pieces(), headers={"content-type": "application/json"}
    )

    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    "path", ["/api/v1/auth/login", "/v1/auth/register", "/auth/token", "/api/v1/auth/refresh"]
)
async def test_authentication_routes_take_64_kb(client: httpx.AsyncClient, path: str) -> None:
    padding = "x" * (64 * 1024)
    response = await client.post(path, json={"email": "a@example.com", "password": padding})

    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_authentication_routes_refuse_a_chunked_body_past_64_kb(
    client: httpx.AsyncClient,
) -> None:
    body = Chunks(MB, fill=b"a")

    response = await client.post(
        "/api/v1/auth/login", content=body, headers={"content-type": "application/json"}
    )

    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert body.pulled <= 2


async def test_a_small_login_body_is_not_refused_for_size(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/login", json={"email": "nobody@example.com", "password": "x" * 1000}
    )

    assert response.status_code == 401


async def test_json_routes_take_up_to_1_mb(client: httpx.AsyncClient) -> None:
    """Past 64 KB a non-authentication route reads the body (here: 401, no token)."""
    payload: dict[str, Any] = {"name": "r", "description": "d" * (200 * 1024)}

    response = await client.post("/api/v1/roles", json=payload)

    assert response.status_code == 401


async def test_a_lying_content_length_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", content=b"{}", headers={"content-length": "-1", "content-type": "text/plain"}
    )

    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


@pytest.fixture
async def small_caps(
    make_settings: Callable[..., Settings],
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(make_settings(max_body_bytes=4096, graphql_max_document_chars=2000))
    async for client in open_client(app):
        yield app, client


async def test_the_caps_are_settings(small_caps: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _, client = small_caps

    too_big = await client.post(
        "/graphql", content=graphql_document(5000), headers={"content-type": "application/json"}
    )
    too_long = await client.post(
        "/graphql", content=graphql_document(3000), headers={"content-type": "application/json"}
    )

    assert_error(too_big, 413, "PAYLOAD_TOO_LARGE")
    assert too_long.json()["errors"][0]["extensions"]["code"] == "DOCUMENT_TOO_LARGE"
    assert "2000 characters" in too_long.json()["errors"][0]["message"]
