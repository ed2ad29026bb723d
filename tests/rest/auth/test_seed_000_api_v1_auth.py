"""Seed 000 (paths under /api/v1): login, refresh, logout, me and change-password as documented.

Seed 000 documents no registration; its accounts are made with seed 004's
``POST /api/v1/auth/register``. Its login example's password, "password123", is on the
common-password list and refused at registration (test_registration_errors shows it), so the
account holds the current password of seed 000's own change-password example instead.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.http import (
    ME,
    assert_error,
    assert_fields,
    bearer,
    error_fields,
    me_status,
    post_ok,
)

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
CHANGE_PASSWORD = "/api/v1/auth/change-password"

REGISTER_BODY = {
    "email": "user@example.com",
    "username": "testuser",
    "password": "oldpassword123",
    "first_name": "John",
    "last_name": "Doe",
}
LOGIN_BODY = {"email": "user@example.com", "password": "oldpassword123"}
CHANGE_PASSWORD_BODY = {
    "current_password": "oldpassword123",
    "new_password": "newpassword456",
    "confirm_password": "newpassword456",
}

LOGIN_FIELDS = {"access_token", "refresh_token", "token_type", "expires_in", "user"}
LOGIN_USER_FIELDS = {"id", "email", "first_name", "last_name", "role", "permissions"}
REFRESH_FIELDS = {"access_token", "token_type", "expires_in"}
ME_FIELDS = {
    "id",
    "email",
    "first_name",
    "last_name",
    "role",
    "status",
    "is_active",
    "email_verified",
    "last_login",
    "created_at",
    "permissions",
}


async def signed_in(client: httpx.AsyncClient) -> dict[str, Any]:
    await post_ok(client, REGISTER, REGISTER_BODY, status=201)
    return await post_ok(client, LOGIN, LOGIN_BODY)


async def test_login_answers_tokens_and_the_user(client: httpx.AsyncClient) -> None:
    # given
    await post_ok(client, REGISTER, REGISTER_BODY, status=201)

    # when
    response = await client.post(LOGIN, json=LOGIN_BODY)

    # then
    assert response.status_code == 200, response.text
    body = response.json()
    assert_fields(body, LOGIN_FIELDS)
    assert_fields(body["user"], LOGIN_USER_FIELDS)
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0
    assert body["refresh_token"]
    assert body["user"]["email"] == "user@example.com"
    assert body["user"]["first_name"] == "John"
    assert isinstance(body["user"]["permissions"], list)


async def test_refresh_answers_a_new_access_token(client: httpx.AsyncClient) -> None:
    # given
    tokens = await signed_in(client)

    # when
    response = await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})

    # then
    assert response.status_code == 200, response.text
    body = response.json()
    assert_fields(body, REFRESH_FIELDS)
    assert body["token_type"] == "bearer"
    assert body["access_token"] != tokens["access_token"]
    assert await me_status(client, body["access_token"]) == 200


async def test_logout_is_204_and_ends_the_session(client: httpx.AsyncClient) -> None:
    # given
    tokens = await signed_in(client)
    access = tokens["access_token"]

    # when
    response = await client.post(
        LOGOUT, json={"refresh_token": tokens["refresh_token"]}, headers=bearer(access)
    )

    # then
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert_error(await client.get(ME, headers=bearer(access)), 401, "TOKEN_INVALID")
    refused = await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    assert refused.status_code == 401


async def test_me_answers_the_current_user(client: httpx.AsyncClient) -> None:
    # given
    tokens = await signed_in(client)

    # when
    response = await client.get(ME, headers=bearer(tokens["access_token"]))

    # then
    assert response.status_code == 200, response.text
    body = response.json()
    assert_fields(body, ME_FIELDS)
    assert body["email"] == "user@example.com"
    assert body["status"] == "active"
    assert body["is_active"] is True
    assert body["last_login"] is not None
    assert body["id"] == tokens["user"]["id"]


async def test_change_password_answers_the_documented_message(client: httpx.AsyncClient) -> None:
    # given
    tokens = await signed_in(client)

    # when
    response = await client.post(
        CHANGE_PASSWORD,
        json=CHANGE_PASSWORD_BODY,
        headers=bearer(tokens["access_token"]),
    )

    # then
    assert response.status_code == 200, response.text
    assert response.json()["message"] == "Password changed successfully"
    new_login = {"email": "user@example.com", "password": "newpassword456"}
    assert (await client.post(LOGIN, json=new_login)).status_code == 200
    assert_error(await client.post(LOGIN, json=LOGIN_BODY), 401, "INVALID_CREDENTIALS")


async def test_change_password_refuses_a_confirmation_that_differs(
    client: httpx.AsyncClient,
) -> None:
    # given
    tokens = await signed_in(client)
    body = {**CHANGE_PASSWORD_BODY, "confirm_password": "newpassword457"}

    # when
    response = await client.post(CHANGE_PASSWORD, json=body, headers=bearer(tokens["access_token"]))

    # then
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error_fields(error) == {"confirm_password"}
    assert (await client.post(LOGIN, json=LOGIN_BODY)).status_code == 200


async def test_change_password_refuses_a_wrong_current_password(
    client: httpx.AsyncClient,
) -> None:
    # given
    tokens = await signed_in(client)
    body = {**CHANGE_PASSWORD_BODY, "current_password": "not-my-password"}

    # when
    response = await client.post(CHANGE_PASSWORD, json=body, headers=bearer(tokens["access_token"]))

    # then
    assert_error(response, 401, "INVALID_CREDENTIALS")
    assert (await client.post(LOGIN, json=LOGIN_BODY)).status_code == 200
