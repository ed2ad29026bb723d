"""Login budgets: per address on every surface, credential stuffing across accounts, and the
service-wide failure rate that slows attempts (unknown accounts first, same answer)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from identity.security.passwords import PasswordCheck, PasswordHasher
from identity.services.request_budgets import UNDER_ATTACK_ANSWER_SECONDS
from tests.ratelimit.conftest import Limited

PASSWORD = "SecurePassword123!"
PLENTY = {
    "category.authentication": "1000/minute",
    "category.general": "1000/minute",
    "plan.free": "1000/minute",
    "register": "1000/hour",
}
GRAPHQL_LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { __typename }
}
"""


@pytest.fixture
def make_client(limited: Limited) -> Limited:
    async def make(limits: dict[str, str], **settings: Any) -> tuple[httpx.AsyncClient, FastAPI]:
        return await limited(rate_limits={**PLENTY, **limits}, **settings)

    return make


def account(email: str, password: str = PASSWORD) -> dict[str, str]:
    return {"email": email, "password": password}


def from_address(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def test_one_login_budget_for_every_path_and_graphql(make_client: Any) -> None:
    client, _ = await make_client({"login": "3/hour"})
    await client.post("/v1/auth/register", json=account("a@example.com"))
    wrong = account("a@example.com", "wrong-password")
    for path in ("/api/v1/auth/login", "/v1/auth/login", "/auth/token"):
        assert (await client.post(path, json=wrong)).status_code == 401
    variables = {"input": {"identifier": "a@example.com", "password": PASSWORD}}
    answer = await client.post("/graphql", json={"query": GRAPHQL_LOGIN, "variables": variables})
    error = answer.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert 3590 <= error["extensions"]["retryAfter"] <= 3600
    assert answer.headers["x-ratelimit-remaining"] == "0"


async def test_parallel_logins_never_exceed_the_budget(make_client: Any) -> None:
    client, _ = await make_client({"login": "5/hour"})
    body = account("nobody@example.com")
    answers = await asyncio.gather(*(client.post("/v1/auth/login", json=body) for _ in range(20)))
    assert sum(r.status_code == 401 for r in answers) == 5
    assert sum(r.status_code == 429 for r in answers) == 15


async def test_stuffing_from_one_address_is_stopped_across_accounts(make_client: Any) -> None:
    client, _ = await make_client(
        {"failed_logins.address": "3/15 minutes", "login": "1000/hour"},
        trusted_proxies="127.0.0.1",
    )
    for email in ("victim@example.com", "bystander@example.com"):
        await client.post("/v1/auth/register", json=account(email))
    attacker = from_address("203.0.113.7")
    for email in ("x@example.com", "y@example.com", "bystander@example.com"):
        wrong = account(email, "Summer2026!")
        assert (
            await client.post("/v1/auth/login", json=wrong, headers=attacker)
        ).status_code == 401
    blocked = await client.post(
        "/v1/auth/login", json=account("victim@example.com"), headers=attacker
    )
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    owner = from_address("198.51.100.9")
    own = await client.post("/v1/auth/login", json=account("victim@example.com"), headers=owner)
    assert own.status_code == 200


class CountingHasher(PasswordHasher):
    """The real hasher, counting verifications (to see which attempts skip the hash)."""

    def __init__(self) -> None:
        super().__init__()
        self.verified: list[bool] = []

    async def verify(self, password_hash: str | None, password: str) -> PasswordCheck:
        self.verified.append(password_hash is not None)
        return await super().verify(password_hash, password)


async def test_under_attack_failures_wait_alike_and_unknown_accounts_skip_the_hash(
    make_client: Any,
) -> None:
    client, app = await make_client(
        {"failed_logins.global": "2/minute", "login": "1000/hour"}, trusted_proxies="127.0.0.1"
    )
    await client.post("/v1/auth/register", json=account("known@example.com"))
    for number in range(2):  # spend the service-wide budget from two addresses
        wrong = account(f"spray{number}@example.com", "Summer2026!")
        await client.post("/v1/auth/login", json=wrong, headers=from_address(f"192.0.2.{number}"))
    runtime = app.state.runtime
    hasher = CountingHasher()
    object.__setattr__(runtime.deps, "hasher", hasher)
    answers = []
    for email in ("known@example.com", "unknown@example.com"):
        started = time.monotonic()
        response = await client.post(
            "/v1/auth/login", json=account(email, "Summer2026!"), headers=from_address("192.0.2.9")
        )
        answers.append((response.status_code, response.json()["error"]["code"]))
        assert time.monotonic() - started >= UNDER_ATTACK_ANSWER_SECONDS - 0.05
    assert answers == [(401, "INVALID_CREDENTIALS")] * 2
    assert hasher.verified == [True]  # the known account's password only
    right = await client.post(
        "/v1/auth/login", json=account("known@example.com"), headers=from_address("192.0.2.10")
    )
    assert right.status_code == 200
    hasher.close()
