"""Item 21 over REST: names, avatar URLs and plans follow the shared field rules.

The GraphQL side of each rule is in tests/graphql/test_field_rules.py.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import login_token, register, set_setting
from tests.support.http import assert_error, bearer
from tests.support.rows import users

PROFILE_ROUTES = ["/v1/auth/profile", "/api/v1/users/me"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("first_name", "Ann\x1b[2J\x1b[H"),
        ("last_name", "Lee\u202egnp.exe"),
        ("name", "Ann\u200bLee"),
        ("organization", "Acme\x00"),
        ("username", "ann\u200b"),
    ],
)
async def test_control_characters_in_a_name_refuse_the_registration(
    app: FastAPI, client: httpx.AsyncClient, field: str, value: str
) -> None:
    # when
    response = await register(client, "ann@example.com", status=422, **{field: value})

    # then
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"]["field"] in {field, "display_name"}
    assert await users(app) == []


async def test_a_plan_is_not_chosen_at_registration_unless_self_selectable(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given: one self-selectable plan
    await set_setting(app, client, "self_selectable_plans", ["starter"])

    # when
    enterprise = await client.post(
        "/v1/auth/register",
        json={
            "email": "a@example.com",
            "password": "SecurePassword123!",
            "subscription_plan": "enterprise",
        },
    )
    starter = await register(client, "b@example.com", subscription_plan="Starter")
    default = await register(client, "c@example.com")

    # then
    error = assert_error(enterprise, 422, "PLAN_NOT_SELECTABLE")
    assert error["details"]["field"] == "subscription_plan"
    plans = {user.email: user.subscription_plan for user in await users(app)}
    assert plans == {"b@example.com": "starter", "c@example.com": None}
    assert starter.status_code == default.status_code == 201


async def test_no_plan_is_self_selectable_by_default(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await register(client, "a@example.com", status=422, subscription_plan="pro")

    assert_error(response, 422, "PLAN_NOT_SELECTABLE")
    assert await users(app) == []


@pytest.mark.parametrize("path", PROFILE_ROUTES)
async def test_the_profile_cannot_change_the_plan(
    app: FastAPI, client: httpx.AsyncClient, path: str
) -> None:
    # given
    await register(client, "a@example.com")
    token = await login_token(client, "a@example.com")

    # when
    response = await client.put(
        path, json={"subscription_plan": "enterprise", "first_name": "Ann"}, headers=bearer(token)
    )
    unchanged = await client.put(
        path, json={"subscription_plan": None, "first_name": "Ann"}, headers=bearer(token)
    )

    # then
    assert_error(response, 422, "PLAN_NOT_SELECTABLE")
    assert unchanged.status_code == 200, unchanged.text
    [user] = await users(app)
    assert user.subscription_plan is None


@pytest.mark.parametrize(
    "avatar_url",
    [
        "http://example.com/me.png",
        "javascript:alert(document.domain)",
        "data:text/html,<script>alert(1)</script>",
        "//example.com/me.png",
        "https://example.com/" + "a" * 2029,
        "https://example.com/\x1b.png",
    ],
)
@pytest.mark.parametrize("path", PROFILE_ROUTES)
async def test_the_avatar_must_be_a_short_https_url(
    app: FastAPI, client: httpx.AsyncClient, path: str, avatar_url: str
) -> None:
    # given
    await register(client, "a@example.com")
    token = await login_token(client, "a@example.com")

    # when
    response = await client.put(path, json={"avatar_url": avatar_url}, headers=bearer(token))

    # then
    assert_error(response, 422, "VALIDATION_ERROR")
    [user] = await users(app)
    assert user.avatar_url is None


@pytest.mark.parametrize("path", PROFILE_ROUTES)
async def test_an_https_avatar_is_kept(app: FastAPI, client: httpx.AsyncClient, path: str) -> None:
    # given
    await register(client, "a@example.com")
    token = await login_token(client, "a@example.com")
    url = "https://cdn.example.com/" + "a" * 2024

    # when
    response = await client.put(path, json={"avatar_url": url}, headers=bearer(token))

    # then
    assert response.status_code == 200, response.text
    [user] = await users(app)
    assert user.avatar_url == url


@pytest.mark.parametrize("path", PROFILE_ROUTES)
async def test_a_control_character_in_a_profile_name_is_refused(
    app: FastAPI, client: httpx.AsyncClient, path: str
) -> None:
    # given
    await register(client, "a@example.com", first_name="Ann")
    token = await login_token(client, "a@example.com")

    # when
    response = await client.put(path, json={"first_name": "Ann\r\nBcc: x"}, headers=bearer(token))

    # then
    assert_error(response, 422, "VALIDATION_ERROR")
    [user] = await users(app)
    assert user.first_name == "Ann"
