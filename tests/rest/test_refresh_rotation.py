"""Refresh tokens rotate on every use; a reused one ends its whole session."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.models import AuthSession, RefreshToken
from identity.security.secrets import hash_token
from tests.rest.helpers import assert_error, me_status, post_ok, runtime

REGISTER = "/v1/auth/register"
LOGIN = "/v1/auth/login"
REFRESH = "/v1/auth/refresh"
# Seed 003's register and login examples.
ACCOUNT = {"email": "user@example.com", "password": "SecurePassword123!"}
REFRESH_PATHS = ["/v1/auth/refresh", "/api/v1/auth/refresh"]


async def signed_in(client: httpx.AsyncClient) -> dict[str, Any]:
    await post_ok(client, REGISTER, ACCOUNT, status=201)
    return await post_ok(client, LOGIN, ACCOUNT)


async def refresh(client: httpx.AsyncClient, token: str, path: str = REFRESH) -> httpx.Response:
    return await client.post(path, json={"refresh_token": token})


async def rotated(client: httpx.AsyncClient, token: str, path: str = REFRESH) -> dict[str, Any]:
    response = await refresh(client, token, path)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def live_tokens(app: FastAPI, raw_tokens: list[str]) -> list[str]:
    """Which of these refresh tokens could still be used: unused, unrevoked, session alive."""
    hashes = {hash_token(raw): raw for raw in raw_tokens}
    async with runtime(app).database.read() as session:
        rows = await session.execute(
            select(col(RefreshToken.token_hash))
            .join(AuthSession, col(AuthSession.id) == col(RefreshToken.session_id))
            .where(
                col(RefreshToken.token_hash).in_(hashes),
                col(RefreshToken.used_at).is_(None),
                col(RefreshToken.revoked_at).is_(None),
                col(AuthSession.revoked_at).is_(None),
            )
        )
        return [hashes[token_hash] for token_hash in rows.scalars().all()]


async def live_session_ids(app: FastAPI) -> list[str]:
    async with runtime(app).database.read() as session:
        rows = await session.execute(
            select(col(AuthSession.id)).where(col(AuthSession.revoked_at).is_(None))
        )
        return [str(one) for one in rows.scalars().all()]


@pytest.mark.parametrize("path", REFRESH_PATHS)
async def test_every_refresh_answers_a_new_refresh_token(
    client: httpx.AsyncClient, path: str
) -> None:
    # given
    login = await signed_in(client)
    seen = [login["refresh_token"]]

    # when
    for _ in range(3):
        seen.append((await rotated(client, seen[-1], path))["refresh_token"])

    # then
    assert len(set(seen)) == 4
    assert all(token.startswith("rt_") for token in seen)


async def test_the_previous_token_is_reissued_while_its_successor_is_unused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """A client that lost the answer to its refresh may retry with the token it still has."""
    # given
    first = (await signed_in(client))["refresh_token"]
    lost = (await rotated(client, first))["refresh_token"]

    # when
    retried = await refresh(client, first)

    # then
    assert retried.status_code == 200, retried.text
    retry = retried.json()
    assert retry["refresh_token"] not in (first, lost)
    assert retry["session_id"] == (await live_session_ids(app))[0]
    assert await live_tokens(app, [first, lost, retry["refresh_token"]]) == [retry["refresh_token"]]
    assert await me_status(client, retry["access_token"]) == 200
    following = await rotated(client, retry["refresh_token"])
    assert await me_status(client, following["access_token"]) == 200


async def test_the_unused_successor_stops_working_once_the_previous_is_reissued(
    client: httpx.AsyncClient,
) -> None:
    # given
    first = (await signed_in(client))["refresh_token"]
    lost = (await rotated(client, first))["refresh_token"]
    await rotated(client, first)

    # when
    response = await refresh(client, lost)

    # then
    assert response.status_code == 401, response.text


async def test_a_token_whose_successor_was_used_is_reuse_and_ends_the_session(
    client: httpx.AsyncClient,
) -> None:
    # given
    login = await signed_in(client)
    first = login["refresh_token"]
    second = await rotated(client, first)
    latest = await rotated(client, second["refresh_token"])

    # when
    response = await refresh(client, first)

    # then
    assert_error(response, 401, "TOKEN_REUSED")
    assert (await refresh(client, latest["refresh_token"])).status_code == 401
    assert await me_status(client, latest["access_token"]) == 401
    assert await me_status(client, login["access_token"]) == 401


async def test_reuse_of_a_middle_token_ends_the_session_too(client: httpx.AsyncClient) -> None:
    # given
    login = await signed_in(client)
    second = await rotated(client, login["refresh_token"])
    third = await rotated(client, second["refresh_token"])
    latest = await rotated(client, third["refresh_token"])

    # when
    response = await refresh(client, second["refresh_token"])

    # then
    assert_error(response, 401, "TOKEN_REUSED")
    assert (await refresh(client, latest["refresh_token"])).status_code == 401
    assert await me_status(client, latest["access_token"]) == 401


async def test_reuse_ends_only_that_session(client: httpx.AsyncClient) -> None:
    # given
    stolen = await signed_in(client)
    elsewhere = await post_ok(client, LOGIN, ACCOUNT)
    second = await rotated(client, stolen["refresh_token"])
    await rotated(client, second["refresh_token"])

    # when
    response = await refresh(client, stolen["refresh_token"])

    # then
    assert_error(response, 401, "TOKEN_REUSED")
    assert await me_status(client, elsewhere["access_token"]) == 200
    assert (await refresh(client, elsewhere["refresh_token"])).status_code == 200


async def test_an_unknown_refresh_token_is_401(client: httpx.AsyncClient) -> None:
    # when
    response = await refresh(client, "rt_never-issued")

    # then
    assert_error(response, 401, "TOKEN_INVALID")


async def test_ten_concurrent_refreshes_leave_at_most_one_live_branch(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    token = (await signed_in(client))["refresh_token"]

    # when
    responses = await asyncio.gather(*(refresh(client, token) for _ in range(10)))

    # then
    statuses = [response.status_code for response in responses]
    assert set(statuses) <= {200, 401}, [response.text for response in responses]
    returned = [response.json()["refresh_token"] for response in responses if response.is_success]
    assert returned
    assert len(set(returned)) == len(returned)
    live = await live_tokens(app, returned)
    assert len(live) <= 1
    if statuses == [200] * 10:
        assert len(live) == 1, "retries that were all answered must leave the session alive"
    for survivor in live:
        assert (await refresh(client, survivor)).status_code == 200
    for other in set(returned) - set(live):
        assert (await refresh(client, other)).status_code == 401
