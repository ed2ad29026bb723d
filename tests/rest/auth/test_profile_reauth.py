"""Item 26 (profile part): a new username through any profile route needs the current password.

Before, a stolen access token alone renamed the account (and with it the login identifier).
A wrong password is refused with the change-password code and counts against the same
current-password attempt counter; resending the unchanged username needs nothing.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import ACCOUNT_PASSWORD as PASSWORD
from tests.factories import login_token, register, set_setting
from tests.support.graphql import GQL_UPDATE_PROFILE, gql_field
from tests.support.http import assert_error, bearer
from tests.support.rows import users

PROFILE_ROUTES = ["/v1/auth/profile", "/api/v1/users/me"]
WRONG = "NotMyPassword123!"


async def signed_in(client: httpx.AsyncClient) -> dict[str, str]:
    await register(client, "ann@example.com", username="ann")
    return bearer(await login_token(client, "ann@example.com"))


async def usernames(app: FastAPI) -> set[str | None]:
    return {user.username for user in await users(app)}


@pytest.mark.parametrize("path", PROFILE_ROUTES)
async def test_a_new_username_without_the_password_is_refused(
    app: FastAPI, client: httpx.AsyncClient, path: str
) -> None:
    # given
    auth = await signed_in(client)

    # when
    response = await client.put(path, json={"username": "mallory"}, headers=auth)

    # then
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"]["field"] == "current_password"
    assert await usernames(app) == {"ann"}


@pytest.mark.parametrize("path", PROFILE_ROUTES)
async def test_a_wrong_password_is_refused_like_a_password_change(
    app: FastAPI, client: httpx.AsyncClient, path: str
) -> None:
    # given
    auth = await signed_in(client)

    # when
    response = await client.put(
        path, json={"username": "mallory", "current_password": WRONG}, headers=auth
    )

    # then
    error = assert_error(response, 401, "INVALID_CREDENTIALS")
    assert error["details"]["field"] == "current_password"
    assert await usernames(app) == {"ann"}


@pytest.mark.parametrize("path", PROFILE_ROUTES)
async def test_the_right_password_changes_the_username(
    app: FastAPI, client: httpx.AsyncClient, path: str
) -> None:
    # given
    auth = await signed_in(client)

    # when
    response = await client.put(
        path, json={"username": "ann.lee", "current_password": PASSWORD}, headers=auth
    )

    # then
    assert response.status_code == 200, response.text
    assert await usernames(app) == {"ann.lee"}


@pytest.mark.parametrize("path", PROFILE_ROUTES)
async def test_the_unchanged_username_and_names_need_no_password(
    app: FastAPI, client: httpx.AsyncClient, path: str
) -> None:
    auth = await signed_in(client)

    response = await client.put(path, json={"username": "ann", "first_name": "Ann"}, headers=auth)

    assert response.status_code == 200, response.text
    [user] = await users(app)
    assert (user.username, user.first_name) == ("ann", "Ann")


async def test_guesses_count_against_the_current_password_limit(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given: two wrong current passwords allowed
    auth = await signed_in(client)
    await set_setting(app, client, "lockout_threshold", 2)
    guess = {"username": "mallory", "current_password": WRONG}
    for path in PROFILE_ROUTES:
        assert (await client.put(path, json=guess, headers=auth)).status_code == 401

    # when: the right password, through the profile and through a password change
    right = {"username": "mallory", "current_password": PASSWORD}
    profile = await client.put("/v1/auth/profile", json=right, headers=auth)
    change = await client.post(
        "/api/v1/auth/change-password",
        json={"current_password": PASSWORD, "new_password": "AnotherPassword456!"},
        headers=auth,
    )

    # then: the one counter is spent
    assert_error(profile, 429, "TOO_MANY_ATTEMPTS")
    assert_error(change, 429, "TOO_MANY_ATTEMPTS")
    assert await usernames(app) == {"ann"}


async def test_graphql_update_profile_needs_the_current_password(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    await register(client, "ann@example.com", username="ann")
    token = await login_token(client, "ann@example.com")

    # when
    missing = await gql_field(client, GQL_UPDATE_PROFILE, {"input": {"username": "m"}}, token=token)
    wrong = await gql_field(
        client,
        GQL_UPDATE_PROFILE,
        {"input": {"username": "m", "currentPassword": WRONG}},
        token=token,
    )
    unchanged_before = await usernames(app)
    right = await gql_field(
        client,
        GQL_UPDATE_PROFILE,
        {"input": {"username": "ann.lee", "currentPassword": PASSWORD}},
        token=token,
    )

    # then
    assert (missing["__typename"], missing["field"]) == ("ValidationError", "current_password")
    assert (wrong["__typename"], wrong["code"]) == ("InvalidCredentials", "INVALID_CREDENTIALS")
    assert unchanged_before == {"ann"}
    assert right["user"]["username"] == "ann.lee"
