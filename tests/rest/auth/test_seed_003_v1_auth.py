"""Seed 003 (/v1/auth/*, /v1/sessions, /v1/devices): its curl examples, as written."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.http import assert_error, assert_fields, bearer, me_status, post_ok

REGISTER = "/v1/auth/register"
LOGIN = "/v1/auth/login"
REFRESH = "/v1/auth/refresh"
LOGOUT = "/v1/auth/logout"
ME = "/v1/auth/me"
SETTINGS = "/v1/auth/settings"
CHANGE_PASSWORD = "/v1/auth/change-password"
REVOKE_ALL_SESSIONS = "/v1/auth/revoke-all-sessions"
SESSIONS = "/v1/sessions"
HISTORY = "/v1/sessions/history"
DEVICES = "/v1/devices"

REGISTER_BODY = {"email": "user@example.com", "password": "SecurePassword123!"}
LOGIN_BODY = {"email": "user@example.com", "password": "SecurePassword123!"}
CHANGE_PASSWORD_BODY = {
    "current_password": "OldPassword123!",
    "new_password": "NewSecurePassword123!",
}

LOGIN_USER_FIELDS = {"id", "email", "is_email_verified", "created_at"}
TOKENS_FIELDS = {"access_token", "refresh_token", "token_type", "expires_in"}


async def signed_in(client: httpx.AsyncClient) -> dict[str, Any]:
    await post_ok(client, REGISTER, REGISTER_BODY, status=201)
    return await post_ok(client, LOGIN, LOGIN_BODY)


def access(login: dict[str, Any]) -> str:
    return str(login["tokens"]["access_token"])


async def test_register_answers_the_new_user(client: httpx.AsyncClient) -> None:
    # when
    response = await client.post(REGISTER, json=REGISTER_BODY)

    # then
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["user"]["email"] == "user@example.com"
    assert body["user"]["is_email_verified"] is False


async def test_login_answers_user_and_tokens(client: httpx.AsyncClient) -> None:
    # given
    await post_ok(client, REGISTER, REGISTER_BODY, status=201)

    # when
    response = await client.post(LOGIN, json=LOGIN_BODY)

    # then
    assert response.status_code == 200, response.text
    body = response.json()
    assert_fields(body["user"], LOGIN_USER_FIELDS)
    assert_fields(body["tokens"], TOKENS_FIELDS)
    assert body["user"]["email"] == "user@example.com"
    assert body["tokens"]["refresh_token"].startswith("rt_")
    assert body["tokens"]["token_type"].lower() == "bearer"
    assert body["tokens"]["expires_in"] == 900
    assert await me_status(client, access(body)) == 200


async def test_refresh_rotates_the_refresh_token(client: httpx.AsyncClient) -> None:
    # given
    login = await signed_in(client)
    first = login["tokens"]["refresh_token"]

    # when
    response = await client.post(REFRESH, json={"refresh_token": first})

    # then
    assert response.status_code == 200, response.text
    tokens = response.json()["tokens"]
    assert_fields(tokens, TOKENS_FIELDS)
    assert tokens["refresh_token"].startswith("rt_")
    assert tokens["refresh_token"] != first
    assert await me_status(client, tokens["access_token"]) == 200
    again = await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 200, again.text


async def test_logout_with_the_bearer_token_ends_the_session(client: httpx.AsyncClient) -> None:
    # given
    login = await signed_in(client)

    # when
    response = await client.post(LOGOUT, headers=bearer(access(login)))

    # then
    assert response.status_code == 200, response.text
    assert await me_status(client, access(login)) == 401
    refused = await client.post(REFRESH, json={"refresh_token": login["tokens"]["refresh_token"]})
    assert refused.status_code == 401


async def test_logout_without_any_token_is_401(client: httpx.AsyncClient) -> None:
    # when
    response = await client.post(LOGOUT)

    # then
    assert response.status_code == 401


async def test_me_answers_the_current_user(client: httpx.AsyncClient) -> None:
    # given
    login = await signed_in(client)

    # when
    response = await client.get(ME, headers=bearer(access(login)))

    # then
    assert response.status_code == 200, response.text
    body = response.json()
    assert_fields(body, LOGIN_USER_FIELDS)
    assert body["id"] == login["user"]["id"]
    assert body["email"] == "user@example.com"


async def test_me_without_a_token_is_401(client: httpx.AsyncClient) -> None:
    # when
    response = await client.get(ME)

    # then
    assert_error(response, 401, "AUTHENTICATION_REQUIRED")


async def test_settings_are_public(client: httpx.AsyncClient) -> None:
    # when
    response = await client.get(SETTINGS)

    # then
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["registration_enabled"] is True
    assert body["password_min_length"] == 8
    assert body["mfa_enabled"] is True
    assert body["mfa_required_for"] == "none"


async def test_change_password_ends_the_other_sessions(client: httpx.AsyncClient) -> None:
    # given
    await post_ok(client, REGISTER, {**REGISTER_BODY, "password": "OldPassword123!"}, status=201)
    old_login = {**LOGIN_BODY, "password": "OldPassword123!"}
    mine = await post_ok(client, LOGIN, old_login)
    other = await post_ok(client, LOGIN, old_login)

    # when
    response = await client.post(
        CHANGE_PASSWORD, json=CHANGE_PASSWORD_BODY, headers=bearer(access(mine))
    )

    # then
    assert response.status_code == 200, response.text
    assert response.json()["sessions_revoked"] == 1
    assert await me_status(client, access(mine)) == 200
    assert await me_status(client, access(other)) == 401
    assert_error(await client.post(LOGIN, json=old_login), 401, "INVALID_CREDENTIALS")
    new_login = {**LOGIN_BODY, "password": "NewSecurePassword123!"}
    assert (await client.post(LOGIN, json=new_login)).status_code == 200


async def test_revoke_all_sessions_ends_mine_too(client: httpx.AsyncClient) -> None:
    # given
    mine = await signed_in(client)
    other = await post_ok(client, LOGIN, LOGIN_BODY)

    # when
    response = await client.post(REVOKE_ALL_SESSIONS, headers=bearer(access(mine)))

    # then
    assert response.status_code == 200, response.text
    assert response.json()["revoked"] == 2
    assert await me_status(client, access(mine)) == 401
    assert await me_status(client, access(other)) == 401


async def test_sessions_lists_the_active_sessions(client: httpx.AsyncClient) -> None:
    # given
    mine = await signed_in(client)
    other = await post_ok(client, LOGIN, LOGIN_BODY)
    ended = await post_ok(client, LOGIN, LOGIN_BODY)
    await post_ok(client, LOGOUT, headers=bearer(access(ended)))

    # when
    response = await client.get(SESSIONS, headers=bearer(access(mine)))

    # then
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == 2
    assert {one["id"] for one in body["sessions"]} == {mine["session_id"], other["session_id"]}
    assert all(one["is_active"] for one in body["sessions"])


async def test_history_lists_logins_and_failures(client: httpx.AsyncClient) -> None:
    # given
    await signed_in(client)
    await client.post(LOGIN, json={**LOGIN_BODY, "password": "WrongPassword123!"})
    latest = await post_ok(client, LOGIN, LOGIN_BODY)

    # when
    response = await client.get(HISTORY, headers=bearer(access(latest)))

    # then
    assert response.status_code == 200, response.text
    body = response.json()
    kinds = sorted(event["event_type"] for event in body["history"])
    assert kinds == ["login.failed", "login.succeeded", "login.succeeded"]
    assert body["count"] == 3
    assert all(event["ip_address"] == "127.0.0.1" for event in body["history"])


async def test_devices_group_sessions_by_device(client: httpx.AsyncClient) -> None:
    # given
    laptop = {**LOGIN_BODY, "device_info": {"device_id": "laptop-1", "platform": "web"}}
    mine = await signed_in(client)
    for _ in range(2):
        await post_ok(client, LOGIN, laptop)

    # when
    response = await client.get(DEVICES, headers=bearer(access(mine)))

    # then
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == 2
    sizes = {device["id"]: len(device["sessions"]) for device in body["devices"]}
    assert sizes == {mine["session_id"]: 1, "laptop-1": 2}
    current = {device["id"]: device["current"] for device in body["devices"]}
    assert current == {mine["session_id"]: True, "laptop-1": False}


async def test_get_one_device(client: httpx.AsyncClient) -> None:
    # given
    laptop = {**LOGIN_BODY, "device_info": {"device_id": "laptop-1", "platform": "web"}}
    mine = await signed_in(client)
    await post_ok(client, LOGIN, laptop)

    # when
    response = await client.get(f"{DEVICES}/laptop-1", headers=bearer(access(mine)))

    # then
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == "laptop-1"
    assert body["device_info"] == laptop["device_info"]
    assert body["current"] is False


async def test_get_an_unknown_device_is_404(client: httpx.AsyncClient) -> None:
    # given
    mine = await signed_in(client)

    # when
    response = await client.get(f"{DEVICES}/nope", headers=bearer(access(mine)))

    # then
    assert_error(response, 404, "RESOURCE_NOT_FOUND")


async def test_delete_a_device_ends_its_sessions(client: httpx.AsyncClient) -> None:
    # given
    laptop = {**LOGIN_BODY, "device_info": {"device_id": "laptop-1", "platform": "web"}}
    mine = await signed_in(client)
    on_laptop = [await post_ok(client, LOGIN, laptop) for _ in range(2)]

    # when
    response = await client.delete(f"{DEVICES}/laptop-1", headers=bearer(access(mine)))

    # then
    assert response.status_code == 200, response.text
    assert response.json()["sessions_revoked"] == 2
    for login in on_laptop:
        assert await me_status(client, access(login)) == 401
    assert await me_status(client, access(mine)) == 200
    gone = await client.get(f"{DEVICES}/laptop-1", headers=bearer(access(mine)))
    assert_error(gone, 404, "RESOURCE_NOT_FOUND")
