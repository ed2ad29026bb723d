"""A pending account is not active, and an account that must change its password gets a
token good for that alone (issue 10, item 4).

Today a ``pending`` account logs in like an active one, and ``must_change_password`` is
shown in the profile but never enforced.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col

from identity.models import User, UserStatus
from tests.support.app import runtime
from tests.support.http import ME, assert_error, bearer, post_ok
from tests.support.jwt import jwt_parts

ACCOUNT = {"email": "user@example.com", "password": "SecurePassword123!"}
NEW_PASSWORD = "Another-Secret-2026"
LOGIN = "/v1/auth/login"
CHANGE_PATHS = [
    "/api/v1/auth/change-password",
    "/v1/auth/change-password",
    "/v1/auth/password/change",
]
# Authenticated routes of every kind a restricted token must not reach.
OTHER_ROUTES = [
    ("GET", "/api/v1/auth/me"),
    ("GET", "/v1/auth/me"),
    ("GET", "/auth/me"),
    ("GET", "/api/v1/users/me"),
    ("PUT", "/v1/auth/profile"),
    ("GET", "/v1/sessions"),
    ("DELETE", "/v1/auth/sessions"),
    ("POST", "/v1/auth/revoke-all-sessions"),
    ("GET", "/api/v1/users"),
]


async def set_user(app: FastAPI, **values: Any) -> None:
    async with runtime(app).database.unit_of_work() as session:
        await session.execute(
            update(User).where(col(User.email_key) == ACCOUNT["email"]).values(**values)
        )


async def registered(client: httpx.AsyncClient) -> None:
    await post_ok(client, "/v1/auth/register", ACCOUNT, status=201)


# --- pending ---------------------------------------------------------------------------


async def test_a_pending_account_cannot_log_in(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    await registered(client)
    await set_user(app, status=UserStatus.PENDING)

    # when
    response = await client.post(LOGIN, json=ACCOUNT)

    # then
    assert_error(response, 403, "ACCOUNT_PENDING")


async def test_a_pending_account_with_a_wrong_password_looks_like_any_wrong_password(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    await registered(client)
    await set_user(app, status=UserStatus.PENDING)

    # when
    response = await client.post(LOGIN, json={**ACCOUNT, "password": "Wrong-Password-1"})

    # then
    assert_error(response, 401, "INVALID_CREDENTIALS")


async def test_a_session_opened_before_the_account_went_pending_stops(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    await registered(client)
    tokens = await post_ok(client, LOGIN, ACCOUNT)
    await set_user(app, status=UserStatus.PENDING)

    # when
    refreshed = await client.post(
        "/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    me = await client.get(ME, headers=bearer(tokens["access_token"]))

    # then
    assert_error(refreshed, 403, "ACCOUNT_PENDING")
    assert_error(me, 401, "TOKEN_INVALID")


# --- must_change_password ----------------------------------------------------------------


async def restricted_login(app: FastAPI, client: httpx.AsyncClient) -> dict[str, Any]:
    await registered(client)
    await set_user(app, must_change_password=True)
    return await post_ok(client, LOGIN, ACCOUNT)


async def test_the_login_answers_only_a_password_change_token(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # when
    body = await restricted_login(app, client)

    # then
    assert body["password_change_required"] is True
    assert body["access_token"]
    assert body["refresh_token"] is None
    assert body["tokens"]["refresh_token"] is None
    claims = jwt_parts(body["access_token"])[1]
    assert claims["scope"] == "password_change"
    assert claims["permissions"] == []


async def test_a_normal_login_says_no_password_change_is_required(
    client: httpx.AsyncClient,
) -> None:
    # given
    await registered(client)

    # when
    body = await post_ok(client, LOGIN, ACCOUNT)

    # then
    assert body["password_change_required"] is False
    assert body["refresh_token"].startswith("rt_")


@pytest.mark.parametrize(("method", "path"), OTHER_ROUTES)
async def test_the_password_change_token_is_refused_everywhere_else(
    app: FastAPI, client: httpx.AsyncClient, method: str, path: str
) -> None:
    # given
    token = (await restricted_login(app, client))["access_token"]

    # when
    response = await client.request(method, path, headers=bearer(token), json={})

    # then
    assert_error(response, 403, "PASSWORD_CHANGE_REQUIRED")


async def test_a_refresh_token_from_before_the_flag_was_set_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given a session opened before an administrator required a new password
    await registered(client)
    before = await post_ok(client, LOGIN, ACCOUNT)
    await set_user(app, must_change_password=True)

    # when
    refreshed = await client.post(
        "/v1/auth/refresh", json={"refresh_token": before["refresh_token"]}
    )
    me = await client.get(ME, headers=bearer(before["access_token"]))

    # then
    assert_error(refreshed, 403, "PASSWORD_CHANGE_REQUIRED")
    assert_error(me, 403, "PASSWORD_CHANGE_REQUIRED")


async def test_the_cookie_login_sets_no_refresh_cookie(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    await registered(client)
    await set_user(app, must_change_password=True)

    # when
    response = await client.post("/auth/token", json=ACCOUNT)

    # then
    assert response.status_code == 200, response.text
    assert response.json()["password_change_required"] is True
    assert not [
        line for line in response.headers.get_list("set-cookie") if "refresh_token=" in line
    ]


@pytest.mark.parametrize("path", CHANGE_PATHS)
async def test_changing_the_password_clears_the_flag_and_answers_normal_tokens(
    app: FastAPI, client: httpx.AsyncClient, path: str
) -> None:
    # given
    token = (await restricted_login(app, client))["access_token"]

    # when
    changed = await post_ok(
        client,
        path,
        {"current_password": ACCOUNT["password"], "new_password": NEW_PASSWORD},
        headers=bearer(token),
    )

    # then
    assert changed["message"] == "Password changed successfully"
    assert (await client.get(ME, headers=bearer(changed["access_token"]))).status_code == 200
    assert_error(await client.get(ME, headers=bearer(token)), 403, "PASSWORD_CHANGE_REQUIRED")
    refreshed = await post_ok(
        client, "/v1/auth/refresh", {"refresh_token": changed["refresh_token"]}
    )
    assert (await client.get(ME, headers=bearer(refreshed["access_token"]))).status_code == 200
    login = await post_ok(client, LOGIN, {**ACCOUNT, "password": NEW_PASSWORD})
    assert login["password_change_required"] is False
    assert login["user"]["must_change_password"] is False


async def test_the_password_change_token_still_needs_the_current_password(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    token = (await restricted_login(app, client))["access_token"]

    # when
    response = await client.post(
        CHANGE_PATHS[0],
        json={"current_password": "Not-the-password-1", "new_password": NEW_PASSWORD},
        headers=bearer(token),
    )

    # then
    assert_error(response, 401, "INVALID_CREDENTIALS")
    assert_error(await client.get(ME, headers=bearer(token)), 403, "PASSWORD_CHANGE_REQUIRED")
