"""Security headers on every answer: REST, GraphQL, errors (404, 422, 500) and crashes.

A browser or proxy must never keep a token response (``Cache-Control: no-store``), sniff a
JSON answer into HTML, frame a page, load anything on behalf of an answer
(``Content-Security-Policy``), or send a ``Referer`` with a token in it.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from identity.app import create_app
from identity.config import Settings
from identity.web.security_headers import API_POLICY, PAGE_POLICY
from tests.conftest import open_client

BASELINE = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
    "content-security-policy": API_POLICY,
}
ACCOUNT = {"email": "heads@example.com", "password": "a long enough password 42"}


def assert_protected(response: httpx.Response) -> None:
    for name, value in BASELINE.items():
        assert response.headers.get(name) == value, (name, response.status_code, response.text)


async def test_token_responses_are_never_cached(client: httpx.AsyncClient) -> None:
    registered = await client.post("/api/v1/auth/register", json=ACCOUNT)
    login = await client.post("/api/v1/auth/login", json=ACCOUNT)
    tokens = login.json()
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    graphql_login = await client.post(
        "/graphql",
        json={
            "query": "mutation ($i: LoginInput!) { login(input: $i) { __typename } }",
            "variables": {"i": {"identifier": ACCOUNT["email"], "password": ACCOUNT["password"]}},
        },
    )

    assert registered.status_code == 201, registered.text
    assert login.status_code == 200, login.text
    assert refreshed.status_code == 200, refreshed.text
    for response in (registered, login, refreshed, me, graphql_login):
        assert_protected(response)


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/health", None, 200),
        ("GET", "/", None, 200),
        ("GET", "/metrics", None, 200),
        ("GET", "/nothing/here", None, 404),
        ("POST", "/api/v1/auth/login", {"email": 3}, 422),
        ("POST", "/api/v1/auth/login", {"email": "no@example.com", "password": "x" * 9}, 401),
        ("GET", "/api/v1/users", None, 401),
        ("DELETE", "/health", None, 405),
    ],
)
async def test_rest_answers_and_errors_carry_the_headers(
    client: httpx.AsyncClient, method: str, path: str, body: object, status: int
) -> None:
    response = await client.request(method, path, json=body)

    assert response.status_code == status, response.text
    assert_protected(response)


@pytest.mark.parametrize(
    "request_body",
    [
        {"query": "{ __typename }"},
        {"query": "{ nope }"},
        {"query": "{"},
    ],
)
async def test_graphql_answers_and_errors_carry_the_headers(
    client: httpx.AsyncClient, request_body: dict[str, str]
) -> None:
    response = await client.post("/graphql", json=request_body)

    assert_protected(response)


async def test_a_body_refused_as_too_large_carries_the_headers(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql",
        content=b'{"query": "' + b"a" * 2_000_000 + b'"}',
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 413
    assert_protected(response)


async def test_a_crash_answered_by_the_envelope_carries_the_headers(
    settings: Settings,
) -> None:
    app = create_app(settings)

    async def crash(_request: Request) -> Response:
        raise RuntimeError("boom")

    app.router.routes.append(Route("/crash", crash))
    async for client in open_client(app):
        response = await client.get("/crash")

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "INTERNAL_ERROR"
    assert_protected(response)


async def test_outside_production_graphiql_and_swagger_may_be_framed_and_cached(
    client: httpx.AsyncClient,
) -> None:
    graphiql = await client.get("/graphql", headers={"accept": "text/html"})
    docs = await client.get("/docs")
    openapi = await client.get("/openapi.json")

    assert "graphiql" in graphiql.text.lower()
    for response in (graphiql, docs):
        assert "x-frame-options" not in response.headers
        assert "cache-control" not in response.headers
        assert response.headers["content-security-policy"] == PAGE_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    assert openapi.headers["x-frame-options"] == "DENY"
    assert "cache-control" not in openapi.headers
    assert openapi.headers["content-security-policy"] == API_POLICY
    assert "strict-transport-security" not in graphiql.headers


async def test_a_graphql_query_over_get_is_not_taken_for_the_ide(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/graphql", params={"query": "{ __typename }"})

    assert response.json() == {"data": {"__typename": "Query"}}
    assert_protected(response)


def _production_app(make_settings: Callable[..., Settings]) -> FastAPI:
    return create_app(
        make_settings(env="production", secret_key="p" * 40, public_url="https://auth.example.com")
    )


async def test_production_adds_hsts_and_frames_nothing(
    make_settings: Callable[..., Settings],
) -> None:
    async for client in open_client(_production_app(make_settings)):
        answers = [
            await client.get("/health"),
            await client.get("/docs"),
            await client.get("/graphql", headers={"accept": "text/html"}),
            await client.post("/graphql", json={"query": "{ __typename }"}),
            await client.get("/nothing/here"),
        ]

    for response in answers:
        assert response.headers["strict-transport-security"].startswith("max-age=")
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert answers[1].headers["content-security-policy"].startswith(PAGE_POLICY)
    assert answers[0].headers["cache-control"] == "no-store"
    assert answers[3].headers["cache-control"] == "no-store"


async def test_a_route_that_chose_its_own_policy_keeps_it(settings: Settings) -> None:
    app = create_app(settings)
    chosen = "default-src 'none'; img-src 'self'"

    async def own_policy(_request: Request) -> Response:
        return Response("x", headers={"Content-Security-Policy": chosen})

    app.router.routes.append(Route("/own-policy", own_policy))
    async for client in open_client(app):
        response = await client.get("/own-policy")

    assert response.headers["content-security-policy"] == chosen
