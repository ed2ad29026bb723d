"""Seed 004 (/api/v1/auth/*, /api/v1/users/me): its curl examples, as written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import new_tenant
from tests.support.http import assert_error, assert_fields, bearer, me_status, post_ok

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
CHANGE_PASSWORD = "/api/v1/auth/change-password"
USERS_ME = "/api/v1/users/me"

REGISTER_BODY = {
    "email": "user@example.com",
    "username": "testuser",
    "password": "SecurePassword123!",
    "first_name": "Test",
    "last_name": "User",
    "organization_id": "org_uuid_here",
}
LOGIN_BODY = {
    "email": "user@example.com",
    "password": "SecurePassword123!",
    "organization_slug": "test-org",
}
CHANGE_PASSWORD_BODY = {
    "current_password": "CurrentPassword123!",
    "new_password": "NewPassword123!",
}
# The seed's example plus the current password, which a new username needs (issue 10, item 26).
UPDATE_ME_BODY = {
    "username": "updatedusername",
    "first_name": "Updated",
    "last_name": "Name",
    "current_password": "SecurePassword123!",
}


@pytest.fixture(autouse=True)
async def test_org(app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[None]:
    """The seed's organization: slug ``test-org``, open to self-registration; its id stands
    for the example's ``org_uuid_here``."""
    tenant_id = await new_tenant(app, "test-org", allow_self_registration=True)
    REGISTER_BODY["organization_id"] = str(tenant_id)
    yield
    REGISTER_BODY["organization_id"] = "org_uuid_here"


USER_FIELDS = {
    "id",
    "email",
    "username",
    "first_name",
    "last_name",
    "is_active",
    "is_verified",
    "organization_id",
    "created_at",
    "updated_at",
}
LOGIN_FIELDS = {"access_token", "refresh_token", "token_type", "expires_in", "user"}
LOGIN_USER_FIELDS = {
    "id",
    "email",
    "username",
    "first_name",
    "last_name",
    "is_active",
    "organization_id",
}
REFRESH_FIELDS = {"access_token", "token_type", "expires_in"}


async def signed_in(client: httpx.AsyncClient, **changes: str) -> dict[str, Any]:
    await post_ok(client, REGISTER, {**REGISTER_BODY, **changes}, status=201)
    return await post_ok(client, LOGIN, {**LOGIN_BODY, **changes})


async def test_register_answers_201_and_the_user(client: httpx.AsyncClient) -> None:
    # when
    response = await client.post(REGISTER, json=REGISTER_BODY)

    # then
    assert response.status_code == 201, response.text
    body = response.json()
    assert_fields(body, USER_FIELDS)
    assert body["email"] == "user@example.com"
    assert body["username"] == "testuser"
    assert body["first_name"] == "Test"
    assert body["last_name"] == "User"
    assert body["is_active"] is True
    assert body["is_verified"] is False


async def test_login_with_an_organization_slug_answers_tokens_and_the_user(
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
    assert body["token_type"] == "bearer"
    assert body["user"]["username"] == "testuser"
    assert body["user"]["organization_id"] == REGISTER_BODY["organization_id"]
    assert await me_status(client, body["access_token"]) == 200


async def test_login_by_username_works_too(client: httpx.AsyncClient) -> None:
    # given
    await post_ok(client, REGISTER, REGISTER_BODY, status=201)

    # when
    response = await client.post(
        LOGIN, json={"username": "TestUser", "password": "SecurePassword123!"}
    )

    # then
    assert response.status_code == 200, response.text
    assert response.json()["user"]["email"] == "user@example.com"


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
    assert await me_status(client, body["access_token"]) == 200


async def test_logout_with_bearer_and_refresh_token_ends_the_session(
    client: httpx.AsyncClient,
) -> None:
    # given
    tokens = await signed_in(client)

    # when
    response = await client.post(
        LOGOUT,
        json={"refresh_token": tokens["refresh_token"]},
        headers=bearer(tokens["access_token"]),
    )

    # then
    assert response.status_code == 204, response.text
    assert await me_status(client, tokens["access_token"]) == 401
    refused = await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    assert refused.status_code == 401


async def test_change_password_answers_200(client: httpx.AsyncClient) -> None:
    # given
    tokens = await signed_in(client, password="CurrentPassword123!")

    # when
    response = await client.post(
        CHANGE_PASSWORD, json=CHANGE_PASSWORD_BODY, headers=bearer(tokens["access_token"])
    )

    # then
    assert response.status_code == 200, response.text
    assert response.json()["message"] == "Password changed successfully"
    old = {**LOGIN_BODY, "password": "CurrentPassword123!"}
    assert_error(await client.post(LOGIN, json=old), 401, "INVALID_CREDENTIALS")
    new = {**LOGIN_BODY, "password": "NewPassword123!"}
    assert (await client.post(LOGIN, json=new)).status_code == 200


async def test_users_me_answers_my_profile(client: httpx.AsyncClient) -> None:
    # given
    tokens = await signed_in(client)

    # when
    response = await client.get(USERS_ME, headers=bearer(tokens["access_token"]))

    # then
    assert response.status_code == 200, response.text
    body = response.json()
    assert_fields(body, USER_FIELDS)
    assert body["id"] == tokens["user"]["id"]
    assert body["username"] == "testuser"


async def test_users_me_update_changes_username_and_names(client: httpx.AsyncClient) -> None:
    # given
    tokens = await signed_in(client)
    auth = bearer(tokens["access_token"])

    # when
    response = await client.put(USERS_ME, json=UPDATE_ME_BODY, headers=auth)

    # then
    assert response.status_code == 200, response.text
    assert_fields(response.json(), USER_FIELDS)
    stored = (await client.get(USERS_ME, headers=auth)).json()
    assert stored["username"] == "updatedusername"
    assert stored["first_name"] == "Updated"
    assert stored["last_name"] == "Name"
    by_new_name = {"username": "updatedusername", "password": "SecurePassword123!"}
    assert (await client.post(LOGIN, json=by_new_name)).status_code == 200


async def test_users_me_update_refuses_a_username_someone_has(client: httpx.AsyncClient) -> None:
    # given
    tokens = await signed_in(client)
    other = {**REGISTER_BODY, "email": "other@example.com", "username": "updatedusername"}
    await post_ok(client, REGISTER, other, status=201)

    # when
    response = await client.put(
        USERS_ME, json=UPDATE_ME_BODY, headers=bearer(tokens["access_token"])
    )

    # then
    assert_error(response, 409, "RESOURCE_CONFLICT")
    mine = await client.get(USERS_ME, headers=bearer(tokens["access_token"]))
    assert mine.json()["username"] == "testuser"
