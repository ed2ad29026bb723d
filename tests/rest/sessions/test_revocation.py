"""Logout and revocation take effect at once, on every route, not when the token expires."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.http import assert_error, bearer, post_ok

REGISTER = "/v1/auth/register"
LOGIN = "/v1/auth/login"
# Seed 003's register and login examples.
ACCOUNT = {"email": "user@example.com", "password": "SecurePassword123!"}
NEW_PASSWORD = "NewSecurePassword123!"
ME_ROUTES = ["/api/v1/auth/me", "/auth/me", "/v1/auth/me", "/v1/auth/profile", "/api/v1/users/me"]

LOGOUTS = [
    pytest.param("/api/v1/auth/logout", 204, id="seed 000/004"),
    pytest.param("/auth/logout", 200, id="seed 001"),
    pytest.param("/v1/auth/logout", 200, id="seed 002/003"),
]
CHANGE_PASSWORDS = [
    pytest.param(
        "/api/v1/auth/change-password",
        {"confirm_password": NEW_PASSWORD},
        id="seed 000/004",
    ),
    pytest.param("/v1/auth/password/change", {}, id="seed 002"),
    pytest.param("/v1/auth/change-password", {}, id="seed 003"),
]


async def signed_in(client: httpx.AsyncClient) -> dict[str, Any]:
    await post_ok(client, REGISTER, ACCOUNT, status=201)
    return await post_ok(client, LOGIN, ACCOUNT)


async def refused_everywhere(client: httpx.AsyncClient, access_token: str) -> None:
    for route in ME_ROUTES:
        response = await client.get(route, headers=bearer(access_token))
        assert_error(response, 401, "TOKEN_INVALID")


async def accepted_everywhere(client: httpx.AsyncClient, access_token: str) -> None:
    for route in ME_ROUTES:
        response = await client.get(route, headers=bearer(access_token))
        assert response.status_code == 200, (route, response.text)


@pytest.mark.parametrize(("path", "status"), LOGOUTS)
async def test_logout_stops_the_access_token_at_once(
    client: httpx.AsyncClient, path: str, status: int
) -> None:
    # given
    login = await signed_in(client)
    other = await post_ok(client, LOGIN, ACCOUNT)
    await accepted_everywhere(client, login["access_token"])

    # when
    response = await client.post(path, headers=bearer(login["access_token"]))

    # then
    assert response.status_code == status, response.text
    await refused_everywhere(client, login["access_token"])
    refused = await client.post("/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert refused.status_code == 401
    await accepted_everywhere(client, other["access_token"])


@pytest.mark.parametrize(("path", "status"), LOGOUTS)
async def test_logging_out_twice_is_refused_the_second_time(
    client: httpx.AsyncClient, path: str, status: int
) -> None:
    # given
    login = await signed_in(client)
    assert (await client.post(path, headers=bearer(login["access_token"]))).status_code == status

    # when
    response = await client.post(path, headers=bearer(login["access_token"]))

    # then
    assert_error(response, 401, "TOKEN_INVALID")


async def test_a_refresh_token_cannot_log_out_someone_elses_session(
    client: httpx.AsyncClient,
) -> None:
    # given
    mine = await signed_in(client)
    stranger = {"email": "stranger@example.com", "password": "SecurePassword123!"}
    await post_ok(client, REGISTER, stranger, status=201)
    theirs = await post_ok(client, LOGIN, stranger)

    # when
    response = await client.post(
        "/api/v1/auth/logout",
        json={"refresh_token": theirs["refresh_token"]},
        headers=bearer(mine["access_token"]),
    )

    # then
    assert response.status_code == 204
    await refused_everywhere(client, mine["access_token"])
    await accepted_everywhere(client, theirs["access_token"])


async def test_revoking_a_session_stops_its_access_token_at_once(
    client: httpx.AsyncClient,
) -> None:
    # given
    mine = await signed_in(client)
    other = await post_ok(client, LOGIN, ACCOUNT)

    # when
    response = await client.delete(
        f"/v1/auth/sessions/{other['session_id']}", headers=bearer(mine["access_token"])
    )

    # then
    assert response.status_code == 200, response.text
    await refused_everywhere(client, other["access_token"])
    refused = await client.post("/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert refused.status_code == 401
    await accepted_everywhere(client, mine["access_token"])


async def test_revoking_my_own_session_logs_me_out(client: httpx.AsyncClient) -> None:
    # given
    mine = await signed_in(client)

    # when
    response = await client.delete(
        f"/v1/auth/sessions/{mine['session_id']}", headers=bearer(mine["access_token"])
    )

    # then
    assert response.status_code == 200, response.text
    await refused_everywhere(client, mine["access_token"])


async def test_revoking_the_other_sessions_keeps_the_current_one(
    client: httpx.AsyncClient,
) -> None:
    # given
    mine = await signed_in(client)
    others = [await post_ok(client, LOGIN, ACCOUNT) for _ in range(3)]

    # when
    response = await client.delete("/v1/auth/sessions", headers=bearer(mine["access_token"]))

    # then
    assert response.status_code == 200, response.text
    await accepted_everywhere(client, mine["access_token"])
    for other in others:
        await refused_everywhere(client, other["access_token"])
    kept = await client.post("/v1/auth/refresh", json={"refresh_token": mine["refresh_token"]})
    assert kept.status_code == 200, kept.text


async def test_revoking_all_sessions_stops_the_current_one_too(client: httpx.AsyncClient) -> None:
    # given
    mine = await signed_in(client)
    other = await post_ok(client, LOGIN, ACCOUNT)

    # when
    response = await client.post(
        "/v1/auth/revoke-all-sessions", headers=bearer(mine["access_token"])
    )

    # then
    assert response.status_code == 200, response.text
    await refused_everywhere(client, mine["access_token"])
    await refused_everywhere(client, other["access_token"])


@pytest.mark.parametrize(("path", "extra"), CHANGE_PASSWORDS)
async def test_change_password_ends_the_other_sessions_and_the_old_password(
    client: httpx.AsyncClient, path: str, extra: dict[str, str]
) -> None:
    # given
    mine = await signed_in(client)
    other = await post_ok(client, LOGIN, ACCOUNT)
    body = {"current_password": ACCOUNT["password"], "new_password": NEW_PASSWORD, **extra}

    # when
    response = await client.post(path, json=body, headers=bearer(mine["access_token"]))

    # then
    assert response.status_code == 200, response.text
    assert response.json()["sessions_revoked"] == 1
    await accepted_everywhere(client, mine["access_token"])
    await refused_everywhere(client, other["access_token"])
    refused = await client.post("/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert refused.status_code == 401
    assert_error(await client.post(LOGIN, json=ACCOUNT), 401, "INVALID_CREDENTIALS")
    new_login = {**ACCOUNT, "password": NEW_PASSWORD}
    assert (await client.post(LOGIN, json=new_login)).status_code == 200


@pytest.mark.parametrize(
    ("new_password", "code"),
    [
        ("short", "PASSWORD_TOO_SHORT"),
        ("password123", "PASSWORD_TOO_COMMON"),
        ("user@example.com", "PASSWORD_MATCHES_ACCOUNT"),
        (ACCOUNT["password"], "VALIDATION_ERROR"),
    ],
)
async def test_change_password_applies_the_password_policy(
    client: httpx.AsyncClient, new_password: str, code: str
) -> None:
    # given
    mine = await signed_in(client)
    other = await post_ok(client, LOGIN, ACCOUNT)
    body = {"current_password": ACCOUNT["password"], "new_password": new_password}

    # when
    response = await client.post(
        "/v1/auth/change-password", json=body, headers=bearer(mine["access_token"])
    )

    # then
    error = assert_error(response, 422, code)
    assert error["details"]["field"] == "new_password"
    await accepted_everywhere(client, other["access_token"])
    assert (await client.post(LOGIN, json=ACCOUNT)).status_code == 200
