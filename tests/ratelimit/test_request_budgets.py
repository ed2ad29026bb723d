"""Every request spends its category budget (and signed in, its plan's), through the real app."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col

from identity.config import Settings
from identity.models import User
from identity.web.client_address import ClientAddressMiddleware
from tests.ratelimit.conftest import Limited

JWKS = "/.well-known/jwks.json"
ME_000 = "/api/v1/auth/me"
PASSWORD = "SecurePassword123!"

MakeClient = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
def make_client(limited: Limited) -> MakeClient:
    async def make(**settings: Any) -> httpx.AsyncClient:
        return (await limited(**settings))[0]

    return make


async def sign_in(client: httpx.AsyncClient, email: str) -> str:
    body = {"email": email, "password": PASSWORD}
    assert (await client.post("/v1/auth/register", json=body)).status_code == 201
    response = await client.post("/v1/auth/login", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["tokens"]["access_token"])


def budget_headers(response: httpx.Response) -> tuple[int, int, int]:
    return (
        int(response.headers["x-ratelimit-limit"]),
        int(response.headers["x-ratelimit-remaining"]),
        int(response.headers["x-ratelimit-reset"]),
    )


async def test_headers_count_down_then_429_with_retry_after(make_client: MakeClient) -> None:
    client = await make_client(rate_limits={"category.general": "3/hour"})
    answers = [await client.get(JWKS) for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert [budget_headers(r)[:2] for r in answers[:3]] == [(3, 2), (3, 1), (3, 0)]
    refused = answers[-1]
    error = refused.json()["error"]
    assert error["code"] == "RATE_LIMIT_EXCEEDED"
    # A fixed window on the clock: it ends at the next whole hour.
    assert 1 <= error["retry_after"] <= 3600
    assert int(refused.headers["x-ratelimit-reset"]) % 3600 == 0
    assert error["details"]["retry_after"] == error["retry_after"]
    assert refused.headers["retry-after"] == str(error["retry_after"])
    assert budget_headers(refused)[1] == 0
    assert "x-ratelimit-window" not in refused.headers


async def test_seed_000_paths_name_the_window(make_client: MakeClient) -> None:
    client = await make_client(rate_limits={"category.general": "3/hour"})
    response = await client.get(ME_000)
    assert response.status_code == 401
    assert response.headers["x-ratelimit-window"] == "3600"


async def test_parallel_requests_never_exceed_the_budget(make_client: MakeClient) -> None:
    client = await make_client(rate_limits={"category.general": "5/hour"})
    answers = await asyncio.gather(*(client.get(JWKS) for _ in range(20)))
    assert sum(r.status_code == 200 for r in answers) == 5
    assert sum(r.status_code == 429 for r in answers) == 15


async def test_signed_in_users_spend_their_own_plan_budget(make_client: MakeClient) -> None:
    client = await make_client(
        rate_limits={"plan.free": "2/hour", "category.authentication": "100/hour"}
    )
    alice = await sign_in(client, "alice@example.com")
    bob = await sign_in(client, "bob@example.com")
    mine = [
        await client.get(ME_000, headers={"Authorization": f"Bearer {alice}"}) for _ in range(3)
    ]
    assert [r.status_code for r in mine] == [200, 200, 429]
    assert (await client.get(ME_000, headers={"Authorization": f"Bearer {bob}"})).status_code == 200
    assert (await client.get(JWKS)).status_code == 200


async def test_a_forged_token_is_charged_to_the_address(make_client: MakeClient) -> None:
    client = await make_client(rate_limits={"category.general": "3/hour"})
    answers = [
        await client.get(JWKS, headers={"Authorization": f"Bearer forged.{n}.token"})
        for n in range(4)
    ]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]


async def test_authentication_posts_have_their_own_category(make_client: MakeClient) -> None:
    client = await make_client(rate_limits={"category.authentication": "2/hour"})
    body = {"email": "nobody@example.com", "password": "wrong-password"}
    answers = [await client.post("/v1/auth/login", json=body) for _ in range(3)]
    assert [r.status_code for r in answers] == [401, 401, 429]
    assert (await client.get(JWKS)).status_code == 200


async def test_graphql_refusals_speak_graphql(make_client: MakeClient) -> None:
    client = await make_client(rate_limits={"category.general": "1/hour"})
    query = {"query": "{ __typename }"}
    assert (await client.post("/graphql", json=query)).status_code == 200
    refused = await client.post("/graphql", json=query)
    assert refused.status_code == 429
    extensions = refused.json()["errors"][0]["extensions"]
    assert extensions["code"] == "RATE_LIMITED"
    assert extensions["retryAfter"] >= 1


async def test_exempt_addresses_spend_nothing(make_client: MakeClient) -> None:
    client = await make_client(
        rate_limits={"category.general": "1/hour"}, rate_limit_exempt="127.0.0.0/8"
    )
    answers = [await client.get(JWKS) for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 200]
    assert "x-ratelimit-limit" not in answers[0].headers


async def test_disabled_limits_neither_refuse_nor_report(make_client: MakeClient) -> None:
    client = await make_client(
        rate_limits_enabled=False, rate_limits={"category.general": "1/hour"}
    )
    answers = [await client.get(JWKS) for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 200]
    assert "x-ratelimit-limit" not in answers[0].headers


async def test_behind_a_trusted_proxy_each_client_has_its_budget(make_client: MakeClient) -> None:
    client = await make_client(
        rate_limits={"category.general": "1/hour"}, trusted_proxies="127.0.0.1"
    )
    first = {"X-Forwarded-For": "198.51.100.1"}
    second = {"X-Forwarded-For": "6.6.6.6, 198.51.100.2"}
    assert (await client.get(JWKS, headers=first)).status_code == 200
    assert (await client.get(JWKS, headers=second)).status_code == 200
    assert (await client.get(JWKS, headers=first)).status_code == 429
    spoofed = {"X-Forwarded-For": "198.51.100.1, 198.51.100.3"}
    assert (await client.get(JWKS, headers=spoofed)).status_code == 200


async def test_a_spoofed_header_from_an_untrusted_peer_changes_nothing(
    make_client: MakeClient,
) -> None:
    client = await make_client(rate_limits={"category.general": "1/hour"})
    assert (await client.get(JWKS, headers={"X-Forwarded-For": "198.51.100.1"})).status_code == 200
    again = await client.get(JWKS, headers={"X-Forwarded-For": "198.51.100.2"})
    assert again.status_code == 429


def test_the_client_address_middleware_is_outermost() -> None:
    from identity.app import create_app

    app = create_app(Settings(env="test", trusted_proxies="127.0.0.1"))
    assert app.user_middleware[0].cls is ClientAddressMiddleware


async def test_refusals_and_the_backend_are_on_metrics(make_client: MakeClient) -> None:
    client = await make_client(
        rate_limits={"category.general": "1/hour"},
        rate_limit_exempt="10.0.0.0/8",
        trusted_proxies="127.0.0.1",
    )
    await client.get(JWKS)
    assert (await client.get(JWKS)).status_code == 429
    text = (await client.get("/metrics", headers={"X-Forwarded-For": "10.0.0.1"})).text
    assert 'identity_rate_limit_backend{state="memory"} 1.0' in text
    assert 'identity_rate_limited_total{budget="category.general"}' in text


async def test_the_plan_in_the_token_picks_the_budget(limited: Limited) -> None:
    client, app = await limited(
        rate_limits={
            "plan.free": "1/hour",
            "plan.pro": "3/hour",
            "category.authentication": "100/hour",
        }
    )
    await sign_in(client, "pro@example.com")
    async with app.state.runtime.database.unit_of_work() as session:
        await session.execute(
            update(User).where(col(User.email) == "pro@example.com").values(subscription_plan="pro")
        )
    body = {"email": "pro@example.com", "password": PASSWORD}
    token = (await client.post("/v1/auth/login", json=body)).json()["tokens"]["access_token"]
    as_pro = {"Authorization": f"Bearer {token}"}
    answers = [await client.get(ME_000, headers=as_pro) for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert answers[0].headers["x-ratelimit-limit"] == "3"
