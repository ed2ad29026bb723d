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
from tests.factories import super_admin
from tests.support.app import runtime
from tests.support.audit import audit_events
from tests.support.clocks import MovableClock, install_clock
from tests.support.http import assert_error, me_status, post_ok

REGISTER = "/v1/auth/register"
LOGIN = "/v1/auth/login"
REFRESH = "/v1/auth/refresh"
# Seed 003's register and login examples.
ACCOUNT = {"email": "user@example.com", "password": "SecurePassword123!"}
REFRESH_PATHS = ["/v1/auth/refresh", "/api/v1/auth/refresh"]
INTERVAL = 10  # the runtime setting refresh_reuse_interval_seconds, by default


@pytest.fixture
def clock(app: FastAPI, client: httpx.AsyncClient) -> MovableClock:
    return install_clock(app)


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


async def test_within_the_reuse_interval_the_parent_answers_the_same_successor(
    app: FastAPI, client: httpx.AsyncClient, clock: MovableClock
) -> None:
    """A client that lost the answer to its refresh retries with the token it still has."""
    # given
    first = (await signed_in(client))["refresh_token"]
    successor = (await rotated(client, first))["refresh_token"]

    # when
    clock.advance(seconds=INTERVAL / 2)  # the clock runs on: a margin for a slow machine
    retried = await refresh(client, first)

    # then
    assert retried.status_code == 200, retried.text
    retry = retried.json()
    assert retry["refresh_token"] == successor
    assert await me_status(client, retry["access_token"]) == 200
    assert await live_tokens(app, [first, successor]) == [successor]
    following = await rotated(client, successor)
    assert await me_status(client, following["access_token"]) == 200


async def test_the_parent_answers_the_same_successor_again_and_again_within_the_interval(
    client: httpx.AsyncClient, clock: MovableClock
) -> None:
    # given
    first = (await signed_in(client))["refresh_token"]
    clock.freeze()
    successor = (await rotated(client, first))["refresh_token"]

    # when
    answers = []
    for _ in range(4):
        clock.advance(seconds=2)
        answers.append((await rotated(client, first))["refresh_token"])

    # then
    assert answers == [successor] * 4


async def test_past_the_reuse_interval_the_parent_is_reuse_and_ends_the_session(
    app: FastAPI, client: httpx.AsyncClient, clock: MovableClock
) -> None:
    """Today's grace let a used token be presented again 70 s later, several times over."""
    # given
    login = await signed_in(client)
    first = login["refresh_token"]
    successor = await rotated(client, first)

    # when
    clock.advance(seconds=INTERVAL + 1)
    response = await refresh(client, first)

    # then
    assert_error(response, 401, "TOKEN_REUSED")
    assert await live_session_ids(app) == []
    assert (await refresh(client, successor["refresh_token"])).status_code == 401
    assert await me_status(client, successor["access_token"]) == 401
    assert [event.event_type for event in await audit_events(app)].count(
        "token.reuse_detected"
    ) == 1


async def test_an_unused_successor_is_reuse_too_once_the_interval_is_over(
    client: httpx.AsyncClient, clock: MovableClock
) -> None:
    """The successor's answer was lost for longer than the interval: the parent is spent."""
    # given
    first = (await signed_in(client))["refresh_token"]
    await rotated(client, first)

    # when
    clock.advance(seconds=70)
    response = await refresh(client, first)

    # then
    assert_error(response, 401, "TOKEN_REUSED")


async def test_no_raw_refresh_token_is_stored(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    first = (await signed_in(client))["refresh_token"]
    successor = (await rotated(client, first))["refresh_token"]

    # when
    async with runtime(app).database.read() as session:
        rows = (await session.execute(select(RefreshToken))).scalars().all()

    # then
    stored = " ".join(str(value) for row in rows for value in row.model_dump().values())
    assert first not in stored
    assert successor not in stored
    assert {row.token_hash for row in rows} == {hash_token(first), hash_token(successor)}


async def test_a_token_whose_successor_was_used_is_reuse_and_ends_the_session(
    client: httpx.AsyncClient, clock: MovableClock
) -> None:
    # given
    login = await signed_in(client)
    first = login["refresh_token"]
    second = await rotated(client, first)
    latest = await rotated(client, second["refresh_token"])

    # when
    clock.advance(seconds=INTERVAL + 1)
    response = await refresh(client, first)

    # then
    assert_error(response, 401, "TOKEN_REUSED")
    assert (await refresh(client, latest["refresh_token"])).status_code == 401
    assert await me_status(client, latest["access_token"]) == 401
    assert await me_status(client, login["access_token"]) == 401


async def test_reuse_of_a_middle_token_ends_the_session_too(
    client: httpx.AsyncClient, clock: MovableClock
) -> None:
    # given
    login = await signed_in(client)
    second = await rotated(client, login["refresh_token"])
    third = await rotated(client, second["refresh_token"])
    latest = await rotated(client, third["refresh_token"])

    # when
    clock.advance(seconds=INTERVAL + 1)
    response = await refresh(client, second["refresh_token"])

    # then
    assert_error(response, 401, "TOKEN_REUSED")
    assert (await refresh(client, latest["refresh_token"])).status_code == 401
    assert await me_status(client, latest["access_token"]) == 401


async def test_reuse_ends_only_that_session(client: httpx.AsyncClient, clock: MovableClock) -> None:
    # given
    stolen = await signed_in(client)
    elsewhere = await post_ok(client, LOGIN, ACCOUNT)
    second = await rotated(client, stolen["refresh_token"])
    await rotated(client, second["refresh_token"])

    # when
    clock.advance(seconds=INTERVAL + 1)
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


async def test_ten_parallel_refreshes_all_answer_one_and_the_same_token(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Today ten tabs get ten tokens, and nine of them end the session when used."""
    # given
    token = (await signed_in(client))["refresh_token"]

    # when
    responses = await asyncio.gather(*(refresh(client, token) for _ in range(10)))

    # then
    assert [response.status_code for response in responses] == [200] * 10, [
        response.text for response in responses
    ]
    returned = {response.json()["refresh_token"] for response in responses}
    assert len(returned) == 1
    (successor,) = returned
    assert await live_tokens(app, [token, successor]) == [successor]
    for response in responses:
        assert await me_status(client, response.json()["access_token"]) == 200
    following = await rotated(client, successor)
    assert await me_status(client, following["access_token"]) == 200
    assert len(await live_session_ids(app)) == 1


async def test_the_reuse_interval_is_the_runtime_setting(
    app: FastAPI, client: httpx.AsyncClient, clock: MovableClock
) -> None:
    # given an interval of 60 s instead of 10
    first = (await signed_in(client))["refresh_token"]
    root = await super_admin(app)
    response = await client.patch(
        "/v1/admin/settings/refresh_reuse_interval_seconds",
        json={"value": 60},
        headers=root.headers,
    )
    assert response.status_code == 200, response.text
    clock.freeze()
    successor = (await rotated(client, first))["refresh_token"]

    # when / then: 59 s later the parent still answers its successor, 61 s later it is reuse
    clock.advance(seconds=59)
    assert (await rotated(client, first))["refresh_token"] == successor
    clock.advance(seconds=2)
    assert_error(await refresh(client, first), 401, "TOKEN_REUSED")
