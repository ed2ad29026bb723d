"""Budgets as a runtime setting (``rate_limits``): an administrator tightens or loosens a
limit while the service runs, bad values are refused with a code, and exempt addresses spend
no operation budget either."""

from __future__ import annotations

from typing import Any

import pytest

from identity.services import runtime_settings
from tests.factories import super_admin
from tests.ratelimit.conftest import Limited
from tests.support.app import runtime

JWKS = "/.well-known/jwks.json"
SETTING = "/v1/admin/settings/rate_limits"


async def test_a_runtime_budget_applies_at_once_and_reverts(limited: Limited) -> None:
    client, app = await limited(rate_limits={"category.user_management": "1000/minute"})
    admin = await super_admin(app)
    assert (await client.get(JWKS)).headers["x-ratelimit-limit"] == "1000"

    changed = await client.patch(
        SETTING,
        json={"value": {"category.general": "2/hour", "category.user_management": "50/hour"}},
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["value"] == {
        "category.general": "2/hour",
        "category.user_management": "50/hour",
    }
    answers = [await client.get(JWKS) for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 429]
    assert answers[0].headers["x-ratelimit-limit"] == "2"

    reverted = await client.patch(SETTING, json={"value": {}}, headers=admin.headers)
    assert reverted.status_code == 200
    assert (await client.get(JWKS)).headers["x-ratelimit-limit"] == "1000"


async def test_the_environment_is_the_default(limited: Limited) -> None:
    client, app = await limited(rate_limits={"login": "7/hour"})
    admin = await super_admin(app)
    listed = await client.get("/v1/admin/settings", headers=admin.headers)
    (limits,) = [s for s in listed.json()["settings"] if s["key"] == "rate_limits"]
    assert limits["value"] == limits["default"] == {"login": "7/hour"}


@pytest.mark.parametrize(
    ("value", "budget"),
    [
        ({"no_such_budget": "1/minute"}, "no_such_budget"),
        ({"login": "often"}, "login"),
        ({"login": "0/minute"}, "login"),
        ({"login": 5}, "login"),
        ({"login": "1/minute" + " " * 100}, "login"),
        (["login"], None),
        ("login=1/minute", None),
    ],
)
async def test_bad_budgets_are_refused_and_nothing_changes(
    limited: Limited, value: Any, budget: str | None
) -> None:
    client, app = await limited()
    admin = await super_admin(app)
    refused = await client.patch(SETTING, json={"value": value}, headers=admin.headers)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    if budget is not None:
        assert error["details"]["budget"] == budget
    assert (await runtime_settings.current(runtime(app).deps)).rate_limits == {}


async def test_exempt_addresses_spend_no_operation_budget(limited: Limited) -> None:
    client, _ = await limited(
        rate_limits={"login": "1/hour", "failed_logins.address": "1/hour"},
        rate_limit_exempt="127.0.0.0/8",
    )
    body = {"email": "nobody@example.com", "password": "WrongPassword123!"}
    answers = [await client.post("/v1/auth/login", json=body) for _ in range(3)]
    assert [r.status_code for r in answers] == [401, 401, 401]
