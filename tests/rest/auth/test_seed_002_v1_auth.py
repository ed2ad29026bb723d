"""Seed 002 (/v1/auth/*): register, login with device_info, refresh, logout by refresh token,
password change, profile and sessions, as the document writes them.

The password is the one of seed 002's own SDK example.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.support.http import assert_error, assert_fields, bearer, error_fields, me_status, post_ok

REGISTER = "/v1/auth/register"
LOGIN = "/v1/auth/login"
REFRESH = "/v1/auth/refresh"
LOGOUT = "/v1/auth/logout"
PASSWORD_CHANGE = "/v1/auth/password/change"
PROFILE = "/v1/auth/profile"
SESSIONS = "/v1/auth/sessions"

REGISTER_BODY = {
    "email": "user@example.com",
    "password": "secure_password",
    "name": "John Doe",
    "organization": "Example Corp",
}
DEVICE_INFO = {"device_id": "device123", "platform": "web", "browser": "chrome"}
LOGIN_BODY = {
    "email": "user@example.com",
    "password": "secure_password",
    "device_info": DEVICE_INFO,
}
PASSWORD_CHANGE_BODY = {
    "current_password": "secure_password",
    "new_password": "new_secure_password",
}
PROFILE_UPDATE = {"name": "Jane Roe", "organization": "Roe Industries"}

REGISTER_FIELDS = {"user_id", "email", "name", "organization", "subscription_plan", "created_at"}
LOGIN_FIELDS = {"access_token", "refresh_token", "expires_in", "token_type", "user"}
LOGIN_USER_FIELDS = {"id", "email", "name", "organization", "subscription_plan"}
REFRESH_FIELDS = {"access_token", "expires_in", "token_type"}
PROFILE_FIELDS = {
    "id",
    "email",
    "name",
    "organization",
    "subscription_plan",
    "email_verified",
    "created_at",
    "updated_at",
}
SESSION_FIELDS = {"id", "device_info", "ip_address", "last_active", "created_at"}


async def signed_in(client: httpx.AsyncClient) -> dict[str, Any]:
    await post_ok(client, REGISTER, REGISTER_BODY, status=201)
    return await post_ok(client, LOGIN, LOGIN_BODY)


async def test_register_answers_the_documented_fields(client: httpx.AsyncClient) -> None:
    # when
    response = await client.post(REGISTER, json=REGISTER_BODY)

    # then
    assert response.status_code == 201, response.text
    body = response.json()
    assert_fields(body, REGISTER_FIELDS)
    assert body["email"] == "user@example.com"
    assert body["name"] == "John Doe"
    assert body["organization"] == "Example Corp"
    uuid.UUID(body["user_id"])


async def test_login_with_device_info_answers_tokens_and_the_user(
    client: httpx.AsyncClient,
) -> None:
    # given
    await post_ok(client, REGISTER, REGISTER_BODY, status=201)

    # when
    response = await client.post(LOGIN, json=LOGIN_BODY)

    # then
    assert response.status_code == 200, response.text
    body = response.json()
    assert_fields(body, LOGIN_FIELDS)
    assert_fields(body["user"], LOGIN_USER_FIELDS)
    assert body["user"]["name"] == "John Doe"
    assert body["user"]["organization"] == "Example Corp"
    assert isinstance(body["expires_in"], int)
    listed = await client.get(SESSIONS, headers=bearer(body["access_token"]))
    assert [one["device_info"] for one in listed.json()["sessions"]] == [DEVICE_INFO]


async def test_refresh_answers_a_new_access_token(client: httpx.AsyncClient) -> None:
    # given
    tokens = await signed_in(client)

    # when
    response = await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})

    # then
    assert response.status_code == 200, response.text
    body = response.json()
    assert_fields(body, REFRESH_FIELDS)
    assert body["access_token"] != tokens["access_token"]
    assert await me_status(client, body["access_token"]) == 200


async def test_logout_with_the_refresh_token_in_the_body_ends_the_session(
    client: httpx.AsyncClient,
) -> None:
    # given
    tokens = await signed_in(client)

    # when
    response = await client.post(LOGOUT, json={"refresh_token": tokens["refresh_token"]})

    # then
    assert response.status_code == 200, response.text
    assert await me_status(client, tokens["access_token"]) == 401
    refused = await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    assert refused.status_code == 401


async def test_logout_with_an_unknown_refresh_token_is_401(client: httpx.AsyncClient) -> None:
    # given
    tokens = await signed_in(client)

    # when
    response = await client.post(LOGOUT, json={"refresh_token": "rt_not-a-token"})

    # then
    assert_error(response, 401, "TOKEN_INVALID")
    assert await me_status(client, tokens["access_token"]) == 200


async def test_password_change_lets_the_new_password_in_and_not_the_old(
    client: httpx.AsyncClient,
) -> None:
    # given
    tokens = await signed_in(client)

    # when
    response = await client.post(
        PASSWORD_CHANGE, json=PASSWORD_CHANGE_BODY, headers=bearer(tokens["access_token"])
    )

    # then
    assert response.status_code == 200, response.text
    assert_error(await client.post(LOGIN, json=LOGIN_BODY), 401, "INVALID_CREDENTIALS")
    changed = {**LOGIN_BODY, "password": "new_secure_password"}
    assert (await client.post(LOGIN, json=changed)).status_code == 200


async def test_profile_answers_the_documented_fields(client: httpx.AsyncClient) -> None:
    # given
    tokens = await signed_in(client)

    # when
    response = await client.get(PROFILE, headers=bearer(tokens["access_token"]))

    # then
    assert response.status_code == 200, response.text
    body = response.json()
    assert_fields(body, PROFILE_FIELDS)
    assert body["name"] == "John Doe"
    assert body["email_verified"] is False


async def test_profile_update_changes_name_and_organization(client: httpx.AsyncClient) -> None:
    # given
    tokens = await signed_in(client)
    auth = bearer(tokens["access_token"])

    # when
    response = await client.put(PROFILE, json=PROFILE_UPDATE, headers=auth)

    # then
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Jane Roe"
    stored = (await client.get(PROFILE, headers=auth)).json()
    assert stored["name"] == "Jane Roe"
    assert stored["organization"] == "Roe Industries"
    assert stored["email"] == "user@example.com"


async def test_sessions_lists_each_active_session(client: httpx.AsyncClient) -> None:
    # given
    first = await signed_in(client)
    second = await post_ok(client, LOGIN, {**LOGIN_BODY, "device_info": {"platform": "ios"}})

    # when
    response = await client.get(SESSIONS, headers=bearer(first["access_token"]))

    # then
    assert response.status_code == 200, response.text
    sessions = response.json()["sessions"]
    assert len(sessions) == 2
    for one in sessions:
        assert_fields(one, SESSION_FIELDS)
        assert one["ip_address"] == "127.0.0.1"
    current = {one["id"]: one["current"] for one in sessions}
    assert current == {first["session_id"]: True, second["session_id"]: False}


async def test_delete_one_session_ends_it_and_keeps_mine(client: httpx.AsyncClient) -> None:
    # given
    mine = await signed_in(client)
    other = await post_ok(client, LOGIN, LOGIN_BODY)

    # when
    response = await client.delete(
        f"{SESSIONS}/{other['session_id']}", headers=bearer(mine["access_token"])
    )

    # then
    assert response.status_code == 200, response.text
    assert await me_status(client, other["access_token"]) == 401
    assert await me_status(client, mine["access_token"]) == 200
    listed = await client.get(SESSIONS, headers=bearer(mine["access_token"]))
    assert [one["id"] for one in listed.json()["sessions"]] == [mine["session_id"]]


async def test_delete_an_unknown_session_is_404(client: httpx.AsyncClient) -> None:
    # given
    mine = await signed_in(client)

    # when
    response = await client.delete(
        f"{SESSIONS}/{uuid.uuid4()}", headers=bearer(mine["access_token"])
    )

    # then
    assert_error(response, 404, "RESOURCE_NOT_FOUND")


async def test_delete_someone_elses_session_is_404_and_leaves_it(
    client: httpx.AsyncClient,
) -> None:
    # given
    mine = await signed_in(client)
    stranger = {**REGISTER_BODY, "email": "stranger@example.com"}
    await post_ok(client, REGISTER, stranger, status=201)
    theirs = await post_ok(client, LOGIN, {**LOGIN_BODY, "email": "stranger@example.com"})

    # when
    response = await client.delete(
        f"{SESSIONS}/{theirs['session_id']}", headers=bearer(mine["access_token"])
    )

    # then
    assert_error(response, 404, "RESOURCE_NOT_FOUND")
    assert await me_status(client, theirs["access_token"]) == 200


async def test_delete_sessions_ends_all_but_mine(client: httpx.AsyncClient) -> None:
    # given
    mine = await signed_in(client)
    others = [await post_ok(client, LOGIN, LOGIN_BODY) for _ in range(2)]

    # when
    response = await client.delete(SESSIONS, headers=bearer(mine["access_token"]))

    # then
    assert response.status_code == 200, response.text
    assert response.json()["revoked"] == 2
    assert await me_status(client, mine["access_token"]) == 200
    for other in others:
        assert await me_status(client, other["access_token"]) == 401


async def test_login_refuses_a_device_id_longer_than_it_keeps(client: httpx.AsyncClient) -> None:
    # given
    await post_ok(client, REGISTER, REGISTER_BODY, status=201)
    device_info = {**DEVICE_INFO, "device_id": "d" * 201}

    # when
    response = await client.post(LOGIN, json={**LOGIN_BODY, "device_info": device_info})

    # then
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error_fields(error) == {"device_info.device_id"}
    for _ in range(5):
        assert (await client.post(LOGIN, json=LOGIN_BODY)).status_code == 200


async def test_a_long_name_is_kept_whole(client: httpx.AsyncClient) -> None:
    """A single 300-character name (the longest allowed) has no space to split at."""
    # given
    long_name = "N" * 300

    # when
    registered = await client.post(REGISTER, json={**REGISTER_BODY, "name": long_name})

    # then
    assert registered.status_code == 201, registered.text
    assert registered.json()["name"] == long_name
    login = await post_ok(client, LOGIN, LOGIN_BODY)
    auth = bearer(login["access_token"])
    updated = await client.put(PROFILE, json={"name": "M" * 300}, headers=auth)
    assert updated.status_code == 200, updated.text
    assert (await client.get(PROFILE, headers=auth)).json()["name"] == "M" * 300
