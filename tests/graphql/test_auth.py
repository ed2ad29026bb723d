"""Authentication over GraphQL, as an SPA uses it, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from identity.app import create_app
from identity.config import Settings
from identity.services import keys
from tests.conftest import open_client
from tests.support.clocks import install_clock

PASSWORD = "SecurePassword123!"

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) {
    __typename
    ... on RegisterPayload { user { id email } }
    ... on Error { code message field }
  }
}
"""

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on AuthPayload {
      accessToken refreshToken tokenType expiresIn csrfToken
      user { email } session { id current }
    }
    ... on AccountLocked { lockedUntil }
    ... on Error { code message }
  }
}
"""

REFRESH = """
mutation Refresh($input: RefreshTokenInput) {
  refreshToken(input: $input) {
    __typename
    ... on AuthPayload { accessToken refreshToken csrfToken }
    ... on Error { code }
  }
}
"""

ME = """{ me {
  email
  sessions { id current device ipAddress lastUsedAt createdAt }
  loginHistory { eventType }
} }"""
LOGOUT = "mutation { logout { __typename ... on Error { code } } }"
CHANGE_PASSWORD = """
mutation Change($input: ChangePasswordInput!) {
  changePassword(input: $input) {
    __typename
    ... on PasswordChanged { revoked tokens { accessToken refreshToken } }
    ... on Error { code field }
  }
}
"""
REVOKE_OTHERS = "mutation { revokeOtherSessions { revoked } }"


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    sent = dict(headers or {})
    if token:
        sent["authorization"] = f"Bearer {token}"
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=sent
    )
    body: dict[str, Any] = response.json()
    return body


async def register_and_login(
    client: httpx.AsyncClient, email: str = "spa@example.com", **login: Any
) -> dict[str, Any]:
    registered = await gql(client, REGISTER, {"input": {"email": email, "password": PASSWORD}})
    assert registered["data"]["register"]["__typename"] == "RegisterPayload"
    result = await gql(
        client, LOGIN, {"input": {"identifier": email, "password": PASSWORD, **login}}
    )
    payload: dict[str, Any] = result["data"]["login"]
    return payload


async def test_login_then_me_shows_the_session(client: httpx.AsyncClient) -> None:
    payload = await register_and_login(client, device={"device_id": "laptop"})

    me = (await gql(client, ME, token=payload["accessToken"]))["data"]["me"]

    assert payload["__typename"] == "AuthPayload"
    assert payload["tokenType"] == "bearer"
    assert me["email"] == "spa@example.com"
    assert me["sessions"][0]["current"] is True
    assert me["sessions"][0]["device"] == {"device_id": "laptop"}
    assert [event["eventType"] for event in me["loginHistory"]] == ["login.succeeded"]


async def test_me_is_null_without_a_token(client: httpx.AsyncClient) -> None:
    assert (await gql(client, ME))["data"] == {"me": None}


async def test_wrong_password_and_unknown_account_look_alike(client: httpx.AsyncClient) -> None:
    await register_and_login(client)

    wrong = await gql(
        client, LOGIN, {"input": {"identifier": "spa@example.com", "password": "x" * 12}}
    )
    unknown = await gql(
        client, LOGIN, {"input": {"identifier": "no@example.com", "password": "x" * 12}}
    )

    assert wrong == unknown
    assert wrong["data"]["login"]["code"] == "INVALID_CREDENTIALS"


async def test_lockout_reports_locked_until(client: httpx.AsyncClient) -> None:
    await register_and_login(client)
    for _ in range(5):
        await gql(
            client, LOGIN, {"input": {"identifier": "spa@example.com", "password": "nope-nope"}}
        )

    locked = await gql(
        client, LOGIN, {"input": {"identifier": "spa@example.com", "password": PASSWORD}}
    )

    assert locked["data"]["login"]["__typename"] == "AccountLocked"
    assert locked["data"]["login"]["lockedUntil"]


async def test_two_aliased_logins_are_refused(client: httpx.AsyncClient) -> None:
    query = """mutation {
      a: login(input: {identifier: "a@example.com", password: "one-guess"}) { __typename }
      b: login(input: {identifier: "a@example.com", password: "two-guess"}) { __typename }
    }"""

    result = await gql(client, query)

    assert result.get("data") is None
    assert result["errors"][0]["extensions"]["code"] == "CREDENTIAL_FIELD_REPEATED"


async def test_refresh_rotates_and_reuse_revokes(app: FastAPI, client: httpx.AsyncClient) -> None:
    payload = await register_and_login(client)
    first = payload["refreshToken"]

    rotated = (await gql(client, REFRESH, {"input": {"refreshToken": first}}))["data"]
    second = rotated["refreshToken"]["refreshToken"]
    (await gql(client, REFRESH, {"input": {"refreshToken": second}}))
    install_clock(app).advance(seconds=11)  # past the reuse interval
    replay = (await gql(client, REFRESH, {"input": {"refreshToken": first}}))["data"]
    me = await gql(client, ME, token=payload["accessToken"])

    assert second != first
    assert replay["refreshToken"]["code"] == "TOKEN_REUSED"
    assert me["errors"][0]["extensions"]["code"] == "TOKEN_INVALID"


async def test_cookie_mode_needs_csrf_to_refresh(
    make_settings: Callable[..., Settings],
) -> None:
    async for client in open_client(create_app(make_settings(cookie_secure=False))):
        await _cookie_mode_needs_csrf_to_refresh(client)


async def _cookie_mode_needs_csrf_to_refresh(client: httpx.AsyncClient) -> None:
    payload = await register_and_login(client, useCookie=True)
    csrf = payload["csrfToken"]

    without = (await gql(client, REFRESH))["data"]["refreshToken"]
    with_csrf = (await gql(client, REFRESH, headers={"x-csrf-token": csrf}))["data"]

    assert payload["refreshToken"] is None
    assert client.cookies.get("refresh_token")
    assert without["code"] == "CSRF_FAILED"
    assert with_csrf["refreshToken"]["__typename"] == "AuthPayload"
    assert with_csrf["refreshToken"]["refreshToken"] is None


async def test_logout_stops_the_access_token_at_once(client: httpx.AsyncClient) -> None:
    token = (await register_and_login(client))["accessToken"]

    logout = await gql(client, LOGOUT, token=token)
    after = await gql(client, ME, token=token)

    assert logout["data"]["logout"]["__typename"] == "SessionsRevoked"
    assert after["errors"][0]["extensions"]["code"] == "TOKEN_INVALID"


async def test_change_password_requires_authentication(client: httpx.AsyncClient) -> None:
    result = await gql(
        client, CHANGE_PASSWORD, {"input": {"currentPassword": "a", "newPassword": "b"}}
    )

    assert result["errors"][0]["extensions"]["code"] == "AUTHENTICATION_REQUIRED"


async def test_change_password_ends_other_sessions(client: httpx.AsyncClient) -> None:
    first = await register_and_login(client)
    second = await gql(
        client, LOGIN, {"input": {"identifier": "spa@example.com", "password": PASSWORD}}
    )

    changed = await gql(
        client,
        CHANGE_PASSWORD,
        {"input": {"currentPassword": PASSWORD, "newPassword": "Another-Long-Secret-9"}},
        token=second["data"]["login"]["accessToken"],
    )
    old_session = await gql(client, ME, token=first["accessToken"])

    result = changed["data"]["changePassword"]
    assert result["__typename"] == "PasswordChanged"
    assert result["revoked"] == 1
    assert result["tokens"]["refreshToken"].startswith("rt_")
    assert old_session["errors"][0]["extensions"]["code"] == "TOKEN_INVALID"


async def test_common_password_is_a_validation_error(client: httpx.AsyncClient) -> None:
    result = await gql(
        client, REGISTER, {"input": {"email": "c@example.com", "password": "password123"}}
    )

    error = result["data"]["register"]
    assert error["__typename"] == "ValidationError"
    assert error["code"] == "PASSWORD_TOO_COMMON"
    assert error["field"] == "password"


async def test_revoke_other_sessions_keeps_this_one(client: httpx.AsyncClient) -> None:
    first = await register_and_login(client)
    second = await gql(
        client, LOGIN, {"input": {"identifier": "spa@example.com", "password": PASSWORD}}
    )
    token = second["data"]["login"]["accessToken"]

    revoked = await gql(client, REVOKE_OTHERS, token=token)

    assert revoked["data"]["revokeOtherSessions"]["revoked"] == 1
    assert (await gql(client, ME, token=token))["data"]["me"]["email"] == "spa@example.com"
    assert "errors" in await gql(client, ME, token=first["accessToken"])


async def test_rotated_keys_keep_old_tokens_verifying(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    token = (await register_and_login(client))["accessToken"]
    deps = app.state.runtime.deps

    await keys.rotate(
        database=deps.database,
        secret_key=deps.keys.secret_key,
        clock=deps.clock,
        access_token_ttl=timedelta(minutes=15),
    )
    await deps.keys.load()
    jwks = (await client.get("/.well-known/jwks.json")).json()

    assert len(jwks["keys"]) == 2
    assert (await gql(client, ME, token=token))["data"]["me"]["email"] == "spa@example.com"
    fresh = await gql(
        client, LOGIN, {"input": {"identifier": "spa@example.com", "password": PASSWORD}}
    )
    assert (await gql(client, ME, token=fresh["data"]["login"]["accessToken"]))["data"]["me"]


@pytest.mark.parametrize("query", ["{ me { email } }"])
async def test_queries_over_get_but_no_mutations(client: httpx.AsyncClient, query: str) -> None:
    query_response = await client.get("/graphql", params={"query": query})
    mutation_response = await client.get("/graphql", params={"query": LOGOUT})

    assert query_response.json() == {"data": {"me": None}}
    assert mutation_response.status_code in (400, 405)
