"""Registration refuses duplicates, weak passwords and bad emails, on every register route."""

from __future__ import annotations

import httpx
import pytest

from tests.support.http import assert_error, error_fields, post_ok

SEED_001 = {
    "username": "testuser",
    "email": "test@example.com",
    "password": "SecurePassword123!",
    "first_name": "Test",
    "last_name": "User",
}
SEED_002 = {
    "email": "user@example.com",
    "password": "secure_password",
    "name": "John Doe",
    "organization": "Example Corp",
}
SEED_003 = {"email": "user@example.com", "password": "SecurePassword123!"}
SEED_004 = {
    "email": "user@example.com",
    "username": "testuser",
    "password": "SecurePassword123!",
    "first_name": "Test",
    "last_name": "User",
}
"""Seed 004's example without its ``organization_id`` placeholder: registering into an
organization is tests/rest/auth/test_seed_004_api_v1.py's and test_register_into_tenant.py's."""
# Each register route with its seed's own example body.
REGISTRATIONS = [
    pytest.param("/auth/register", SEED_001, id="seed 001"),
    pytest.param("/v1/auth/register", SEED_002, id="seed 002"),
    pytest.param("/v1/auth/register", SEED_003, id="seed 003"),
    pytest.param("/api/v1/auth/register", SEED_004, id="seed 004"),
]
ROUTE_AND_BODY = ("path", "body")


async def not_registered(client: httpx.AsyncClient, body: dict[str, str]) -> None:
    """The refused registration left no account behind: its email is still free."""
    response = await client.post("/v1/auth/register", json={**body, "username": None})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(ROUTE_AND_BODY, REGISTRATIONS)
async def test_a_duplicate_email_is_409(
    client: httpx.AsyncClient, path: str, body: dict[str, str]
) -> None:
    # given
    await post_ok(client, path, body, status=201)
    again = {**body, "username": "someoneelse"} if "username" in body else body

    # when
    response = await client.post(path, json=again)

    # then
    error = assert_error(response, 409, "RESOURCE_CONFLICT")
    assert error_fields(error) == {"email"}


@pytest.mark.parametrize(ROUTE_AND_BODY, REGISTRATIONS)
async def test_a_duplicate_email_in_other_case_is_409(
    client: httpx.AsyncClient, path: str, body: dict[str, str]
) -> None:
    # given
    await post_ok(client, path, body, status=201)
    shouted = {**body, "email": body["email"].upper()}
    if "username" in body:
        shouted["username"] = "someoneelse"

    # when
    response = await client.post(path, json=shouted)

    # then
    assert_error(response, 409, "RESOURCE_CONFLICT")


async def test_a_duplicate_username_is_409(client: httpx.AsyncClient) -> None:
    # given
    await post_ok(client, "/api/v1/auth/register", SEED_004, status=201)
    taken = {**SEED_004, "email": "other@example.com", "username": "TestUser"}

    # when
    response = await client.post("/api/v1/auth/register", json=taken)

    # then
    error = assert_error(response, 409, "RESOURCE_CONFLICT")
    assert error_fields(error) == {"username"}


@pytest.mark.parametrize(ROUTE_AND_BODY, REGISTRATIONS)
async def test_a_common_password_is_refused(
    client: httpx.AsyncClient, path: str, body: dict[str, str]
) -> None:
    # when
    response = await client.post(path, json={**body, "password": "password123"})

    # then
    error = assert_error(response, 422, "PASSWORD_TOO_COMMON")
    assert error_fields(error) == {"password"}
    assert "password123" not in response.text
    await not_registered(client, body)


@pytest.mark.parametrize(ROUTE_AND_BODY, REGISTRATIONS)
async def test_a_short_password_is_refused(
    client: httpx.AsyncClient, path: str, body: dict[str, str]
) -> None:
    # when
    response = await client.post(path, json={**body, "password": "Sh0rt!"})

    # then
    error = assert_error(response, 422, "PASSWORD_TOO_SHORT")
    assert error_fields(error) == {"password"}
    await not_registered(client, body)


@pytest.mark.parametrize(ROUTE_AND_BODY, REGISTRATIONS)
async def test_an_invalid_email_is_refused(
    client: httpx.AsyncClient, path: str, body: dict[str, str]
) -> None:
    # when
    response = await client.post(path, json={**body, "email": "not-an-email"})

    # then
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error_fields(error) == {"email"}


@pytest.mark.parametrize(ROUTE_AND_BODY, REGISTRATIONS)
async def test_a_password_equal_to_the_email_is_refused(
    client: httpx.AsyncClient, path: str, body: dict[str, str]
) -> None:
    # when
    response = await client.post(path, json={**body, "password": body["email"]})

    # then
    error = assert_error(response, 422, "PASSWORD_MATCHES_ACCOUNT")
    assert error_fields(error) == {"password"}
    await not_registered(client, body)


@pytest.mark.parametrize(ROUTE_AND_BODY, REGISTRATIONS)
async def test_a_missing_password_lists_the_field(
    client: httpx.AsyncClient, path: str, body: dict[str, str]
) -> None:
    # given
    without = {key: value for key, value in body.items() if key != "password"}

    # when
    response = await client.post(path, json=without)

    # then
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error_fields(error) == {"password"}


@pytest.mark.parametrize("path", ["/auth/register", "/api/v1/auth/register"])
async def test_a_password_equal_to_the_username_is_refused(
    client: httpx.AsyncClient, path: str
) -> None:
    # when
    response = await client.post(path, json={**SEED_001, "password": "TestUser"})

    # then
    error = assert_error(response, 422, "PASSWORD_MATCHES_ACCOUNT")
    assert error_fields(error) == {"password"}
