"""GraphQL: a login that must change its password answers ``PasswordChangeRequired`` with a
token good for ``changePassword`` alone (issue 10, item 4), and a password change rotates the
session's refresh token (item 26)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlmodel import col

from identity.models import User, UserStatus
from tests.graphql.test_auth import PASSWORD, REFRESH, REGISTER, gql
from tests.support.app import runtime

EMAIL = "spa@example.com"
NEW_PASSWORD = "Another-Long-Secret-9"
LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on AuthPayload { accessToken refreshToken }
    ... on PasswordChangeRequired { code accessToken tokenType expiresIn user { email } }
    ... on Error { code }
  }
}
"""
CHANGE_PASSWORD = """
mutation Change($input: ChangePasswordInput!) {
  changePassword(input: $input) {
    __typename
    ... on PasswordChanged { revoked tokens { accessToken refreshToken session { id } } }
    ... on Error { code field }
  }
}
"""
ME = "{ me { email } }"
SESSIONS = "{ me { sessions { id } } }"


async def set_user(app: FastAPI, **values: Any) -> None:
    async with runtime(app).database.unit_of_work() as session:
        await session.execute(update(User).where(col(User.email_key) == EMAIL).values(**values))


async def login(client: httpx.AsyncClient, password: str = PASSWORD) -> dict[str, Any]:
    result = await gql(client, LOGIN, {"input": {"identifier": EMAIL, "password": password}})
    payload: dict[str, Any] = result["data"]["login"]
    return payload


async def registered(client: httpx.AsyncClient) -> None:
    result = await gql(client, REGISTER, {"input": {"email": EMAIL, "password": PASSWORD}})
    assert result["data"]["register"]["__typename"] == "RegisterPayload"


async def change(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    result = await gql(
        client,
        CHANGE_PASSWORD,
        {"input": {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}},
        token=token,
    )
    payload: dict[str, Any] = result["data"]["changePassword"]
    return payload


async def test_a_pending_account_cannot_log_in(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    await registered(client)
    await set_user(app, status=UserStatus.PENDING)

    # when
    payload = await login(client)

    # then
    assert payload == {"__typename": "AccountDisabled", "code": "ACCOUNT_PENDING"}


async def test_the_login_answers_password_change_required_and_nothing_else_works(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    await registered(client)
    await set_user(app, must_change_password=True)

    # when
    payload = await login(client)
    me = await gql(client, ME, token=payload["accessToken"])

    # then
    assert payload["__typename"] == "PasswordChangeRequired"
    assert payload["code"] == "PASSWORD_CHANGE_REQUIRED"
    assert payload["user"] == {"email": EMAIL}
    assert "refreshToken" not in payload
    assert me["errors"][0]["extensions"]["code"] == "PASSWORD_CHANGE_REQUIRED"


async def test_change_password_with_that_token_answers_normal_tokens(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    await registered(client)
    await set_user(app, must_change_password=True)
    restricted = (await login(client))["accessToken"]

    # when
    changed = await change(client, restricted)

    # then
    assert changed["__typename"] == "PasswordChanged"
    tokens = changed["tokens"]
    me = await gql(client, ME, token=tokens["accessToken"])
    assert me["data"]["me"] == {"email": EMAIL}
    async with runtime(app).database.read() as session:
        user = await session.scalar(select(User).where(col(User.email_key) == EMAIL))
    assert user is not None
    assert user.must_change_password is False
    refreshed = await gql(client, REFRESH, {"input": {"refreshToken": tokens["refreshToken"]}})
    assert refreshed["data"]["refreshToken"]["__typename"] == "AuthPayload"
    assert (await gql(client, ME, token=restricted))["errors"][0]["extensions"][
        "code"
    ] == "PASSWORD_CHANGE_REQUIRED"


async def test_a_password_change_rotates_the_sessions_refresh_token(
    client: httpx.AsyncClient,
) -> None:
    # given two sessions
    await registered(client)
    mine = await login(client)
    other = await login(client)

    # when
    changed = await change(client, mine["accessToken"])

    # then the old refresh token is dead, the new one works, the other session ended
    assert changed["revoked"] == 1
    new_refresh = changed["tokens"]["refreshToken"]
    assert new_refresh != mine["refreshToken"]
    old = await gql(client, REFRESH, {"input": {"refreshToken": mine["refreshToken"]}})
    assert old["data"]["refreshToken"]["code"] == "TOKEN_INVALID"
    new = await gql(client, REFRESH, {"input": {"refreshToken": new_refresh}})
    assert new["data"]["refreshToken"]["__typename"] == "AuthPayload"
    ended = await gql(client, REFRESH, {"input": {"refreshToken": other["refreshToken"]}})
    assert ended["data"]["refreshToken"]["code"] == "TOKEN_INVALID"
    sessions = await gql(client, SESSIONS, token=new["data"]["refreshToken"]["accessToken"])
    assert [one["id"] for one in sessions["data"]["me"]["sessions"]] == [
        changed["tokens"]["session"]["id"]
    ]
