"""Operation budgets are charged by the services: one budget per operation, whichever
documented path (any seed) or surface asks, and one mail budget per requester across routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.factories import new_tenant, tenant_admin
from tests.ratelimit.conftest import Limited
from tests.support.http import bearer
from tests.support.invitations import LIST, invite

PASSWORD = "SecurePassword123!"
FORGOT_PATHS = (
    "/api/v1/auth/forgot-password",
    "/v1/auth/forgot-password",
    "/v1/auth/password/reset-request",
)
PLENTY = {
    "category.authentication": "1000/minute",
    "category.general": "1000/minute",
    "plan.free": "1000/minute",
}


@pytest.fixture
def make_client(limited: Limited) -> Callable[[dict[str, str]], Awaitable[httpx.AsyncClient]]:
    async def make(limits: dict[str, str]) -> httpx.AsyncClient:
        return (await limited(rate_limits={**PLENTY, **limits}))[0]

    return make


def account(email: str) -> dict[str, str]:
    return {"email": email, "password": PASSWORD}


def refused(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    assert error["code"] == "RATE_LIMIT_EXCEEDED"
    assert response.headers["retry-after"] == str(error["retry_after"])
    assert response.headers["x-ratelimit-remaining"] == "0"
    return int(error["retry_after"])


async def test_registration_budget_spans_seeds(make_client: Any) -> None:
    client = await make_client({"register": "2/hour"})
    first = await client.post(
        "/api/v1/auth/register",
        json={"email": "a@example.com", "password": PASSWORD, "confirm_password": PASSWORD,
              "first_name": "A", "last_name": "B", "username": "aaaa"},
    )  # fmt: skip
    assert first.status_code == 201, first.text
    second = await client.post(
        "/v1/auth/register", json={"email": "b@example.com", "password": PASSWORD}
    )
    assert second.status_code == 201, second.text
    third = await client.post(
        "/v1/auth/register", json={"email": "c@example.com", "password": PASSWORD}
    )
    assert 3590 <= refused(third) <= 3600


async def test_forgot_password_is_one_budget_on_every_path(make_client: Any) -> None:
    client = await make_client({"forgot_password": "2/hour"})
    body = {"email": "nobody@example.com"}
    for path in FORGOT_PATHS[:2]:
        assert (await client.post(path, json=body)).status_code == 200
    refused(await client.post(FORGOT_PATHS[2], json=body))


async def test_one_requester_cannot_spend_many_recipients_mail(make_client: Any) -> None:
    client = await make_client({"mail.address": "3/hour"})
    sent = [
        await client.post("/v1/auth/forgot-password", json={"email": "one@example.com"}),
        await client.post("/v1/auth/magic-link/send", json={"email": "two@example.com"}),
        await client.post(
            "/v1/auth/email/resend-verification", json={"email": "three@example.com"}
        ),
    ]
    assert [r.status_code for r in sent] == [200, 200, 200]
    refused(await client.post("/v1/auth/forgot-password", json={"email": "four@example.com"}))


async def test_reset_submissions_have_a_budget(make_client: Any) -> None:
    client = await make_client({"reset_password": "2/hour"})
    body = {"token": "not-a-token", "new_password": PASSWORD}
    answers = [await client.post("/v1/auth/reset-password", json=body) for _ in range(3)]
    assert [r.status_code for r in answers[:2]] == [401, 401]
    refused(answers[2])


async def test_invitations_spend_their_inviters_budget_not_the_address_mail_budget(
    limited: Limited,
) -> None:
    """A tenant admin onboarding a team is not capped by the per-address mail budget; each
    inviter has a budget of their own, and a second admin behind the same address is not
    charged for the first one's invitations."""
    client, app = await limited(
        rate_limits={**PLENTY, "mail.address": "1/hour", "invitation.send": "3/hour"}
    )
    tenant_id = await new_tenant(app)
    first, second = await tenant_admin(app, tenant_id), await tenant_admin(app, tenant_id)
    for number in range(3):
        await invite(client, first.token, f"new{number}@example.com")
    refused(
        await client.post(LIST, json={"email": "new3@example.com"}, headers=bearer(first.token))
    )
    await invite(client, second.token, "other@example.com")
