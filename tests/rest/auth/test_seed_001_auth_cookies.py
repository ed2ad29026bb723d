"""Seed 001 (/auth/*): the refresh token lives in an HttpOnly cookie, guarded by CSRF."""

from __future__ import annotations

import httpx
import pytest

from tests.support.http import assert_error, assert_fields, bearer, me_status, post_ok, set_cookies

REGISTER = "/auth/register"
TOKEN = "/auth/token"
TOKEN_REFRESH = "/auth/token/refresh"
LOGOUT = "/auth/logout"
ME = "/auth/me"
CSRF_HEADER = "X-CSRF-Token"

# Seed 001's request lists the fields as "string"; the values are those of its response example.
PASSWORD = "SecurePassword123!"
REGISTER_BODY = {
    "username": "testuser",
    "email": "test@example.com",
    "password": PASSWORD,
    "first_name": "Test",
    "last_name": "User",
}
TOKEN_BY_USERNAME = {"username": "testuser", "password": PASSWORD}
TOKEN_BY_EMAIL = {"email": "test@example.com", "password": PASSWORD}

USER_FIELDS = {"id", "username", "email", "first_name", "last_name", "is_active", "is_superuser"}
TOKEN_FIELDS = {"access_token", "token_type", "refresh_token"}


async def logged_in(browser: httpx.AsyncClient) -> httpx.Response:
    await post_ok(browser, REGISTER, REGISTER_BODY, status=201)
    response = await browser.post(TOKEN, json=TOKEN_BY_USERNAME)
    assert response.status_code == 200, response.text
    return response


def csrf(browser: httpx.AsyncClient) -> dict[str, str]:
    return {CSRF_HEADER: browser.cookies["csrf_token"]}


async def refresh_by_cookie(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    """What a browser sends: both cookies, and the CSRF cookie's value echoed in the header."""
    cookie = f"refresh_token={refresh_token}; csrf_token=echoed"
    return await client.post(TOKEN_REFRESH, headers={"Cookie": cookie, CSRF_HEADER: "echoed"})


async def test_register_answers_201_and_the_user(client: httpx.AsyncClient) -> None:
    # when
    response = await client.post(REGISTER, json=REGISTER_BODY)

    # then
    assert response.status_code == 201, response.text
    body = response.json()
    assert_fields(body, USER_FIELDS)
    assert body["username"] == "testuser"
    assert body["email"] == "test@example.com"
    assert body["first_name"] == "Test"
    assert body["last_name"] == "User"
    assert body["is_active"] is True
    assert body["is_superuser"] is False


@pytest.mark.parametrize("body", [TOKEN_BY_USERNAME, TOKEN_BY_EMAIL], ids=["username", "email"])
async def test_token_sets_the_refresh_token_as_an_httponly_strict_cookie(
    client: httpx.AsyncClient, body: dict[str, str]
) -> None:
    # given
    await post_ok(client, REGISTER, REGISTER_BODY, status=201)

    # when
    response = await client.post(TOKEN, json=body)

    # then
    assert response.status_code == 200, response.text
    document = response.json()
    assert_fields(document, TOKEN_FIELDS)
    assert document["refresh_token"] is None
    assert document["token_type"] == "bearer"
    assert await me_status(client, document["access_token"]) == 200
    cookies = set_cookies(response)
    refresh = cookies["refresh_token"]
    assert refresh["value"].startswith("rt_")
    assert "httponly" in refresh
    assert "secure" in refresh
    assert refresh["samesite"].lower() == "strict"
    assert refresh["path"] == "/auth"
    readable = cookies["csrf_token"]
    assert readable["value"]
    assert "httponly" not in readable
    assert readable["samesite"].lower() == "strict"
    assert readable["path"] == "/"
    assert refresh["value"] not in response.text


async def test_token_refresh_with_the_cookie_and_the_csrf_header_rotates(
    browser: httpx.AsyncClient,
) -> None:
    # given
    login = await logged_in(browser)
    first_cookie = browser.cookies["refresh_token"]

    # when
    response = await browser.post(TOKEN_REFRESH, headers=csrf(browser))

    # then
    assert response.status_code == 200, response.text
    body = response.json()
    assert_fields(body, TOKEN_FIELDS)
    assert body["refresh_token"] is None
    assert body["access_token"] != login.json()["access_token"]
    assert await me_status(browser, body["access_token"]) == 200
    rotated = set_cookies(response)["refresh_token"]["value"]
    assert rotated != first_cookie
    assert browser.cookies["refresh_token"] == rotated


async def test_token_refresh_without_the_csrf_header_is_403(browser: httpx.AsyncClient) -> None:
    # given
    await logged_in(browser)

    # when
    response = await browser.post(TOKEN_REFRESH)

    # then
    assert_error(response, 403, "CSRF_FAILED")
    assert "set-cookie" not in response.headers


async def test_token_refresh_with_a_csrf_header_that_differs_is_403(
    browser: httpx.AsyncClient,
) -> None:
    # given
    await logged_in(browser)

    # when
    response = await browser.post(TOKEN_REFRESH, headers={CSRF_HEADER: "forged"})

    # then
    assert_error(response, 403, "CSRF_FAILED")


async def test_token_refresh_without_the_cookie_is_401(client: httpx.AsyncClient) -> None:
    # when
    response = await client.post(TOKEN_REFRESH, headers={CSRF_HEADER: "anything"})

    # then
    assert_error(response, 401, "TOKEN_INVALID")


async def test_token_refresh_reads_the_cookie_header_a_browser_sends(
    client: httpx.AsyncClient,
) -> None:
    # given
    await post_ok(client, REGISTER, REGISTER_BODY, status=201)
    login = await client.post(TOKEN, json=TOKEN_BY_EMAIL)
    refresh_cookie = set_cookies(login)["refresh_token"]["value"]

    # when
    response = await refresh_by_cookie(client, refresh_cookie)

    # then
    assert response.status_code == 200, response.text
    assert await me_status(client, response.json()["access_token"]) == 200


async def test_logout_ends_the_session_and_clears_the_cookies(
    client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    # given
    login = await logged_in(browser)
    access = login.json()["access_token"]
    refresh_cookie = browser.cookies["refresh_token"]

    # when
    response = await browser.post(LOGOUT, headers=bearer(access))

    # then
    assert response.status_code == 200, response.text
    assert response.json() == {"message": "Logout successful"}
    cleared = set_cookies(response)
    assert cleared["refresh_token"]["value"] == ""
    assert cleared["refresh_token"]["path"] == "/auth"
    assert await me_status(browser, access) == 401
    assert_error(await refresh_by_cookie(client, refresh_cookie), 401, "TOKEN_INVALID")


async def test_logout_with_the_cookie_alone_ends_the_session(browser: httpx.AsyncClient) -> None:
    # given
    login = await logged_in(browser)
    access = login.json()["access_token"]

    # when
    response = await browser.post(LOGOUT, headers=csrf(browser))

    # then
    assert response.status_code == 200, response.text
    assert await me_status(browser, access) == 401


async def test_me_answers_the_current_user(client: httpx.AsyncClient) -> None:
    # given
    await post_ok(client, REGISTER, REGISTER_BODY, status=201)
    tokens = await post_ok(client, TOKEN, TOKEN_BY_EMAIL)

    # when
    response = await client.get(ME, headers=bearer(tokens["access_token"]))

    # then
    assert response.status_code == 200, response.text
    body = response.json()
    assert_fields(body, USER_FIELDS)
    assert body["username"] == "testuser"
    assert body["is_superuser"] is False


async def test_logout_by_cookie_without_the_csrf_header_is_403_and_keeps_the_session(
    browser: httpx.AsyncClient,
) -> None:
    """A cross-site form can make the browser send the cookie, but not the header."""
    # given
    login = await logged_in(browser)

    # when
    response = await browser.post(LOGOUT)

    # then
    assert_error(response, 403, "CSRF_FAILED")
    assert await me_status(browser, login.json()["access_token"]) == 200
    assert (await browser.post(TOKEN_REFRESH, headers=csrf(browser))).status_code == 200
