"""An access token past its ``exp`` is refused after at most 5 s of leeway (issue 10, item 6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from tests.support.clocks import MovableClock, install_clock
from tests.support.http import ME, assert_error, bearer, post_ok
from tests.support.jwt import jwt_parts

ACCOUNT = {"email": "user@example.com", "password": "SecurePassword123!"}


@pytest.fixture
def clock(app: FastAPI, client: httpx.AsyncClient) -> MovableClock:
    return install_clock(app)


async def access_token(client: httpx.AsyncClient) -> tuple[str, datetime]:
    await post_ok(client, "/v1/auth/register", ACCOUNT, status=201)
    token = str((await post_ok(client, "/v1/auth/login", ACCOUNT))["access_token"])
    expires_at = datetime.fromtimestamp(jwt_parts(token)[1]["exp"], UTC)
    return token, expires_at


async def test_a_token_four_seconds_past_exp_still_works(
    client: httpx.AsyncClient, clock: MovableClock
) -> None:
    # given
    token, expires_at = await access_token(client)

    # when
    clock.move_to(expires_at + timedelta(seconds=4, milliseconds=200))
    response = await client.get(ME, headers=bearer(token))

    # then
    assert response.status_code == 200, response.text


async def test_a_token_six_seconds_past_exp_is_expired(
    client: httpx.AsyncClient, clock: MovableClock
) -> None:
    # given
    token, expires_at = await access_token(client)

    # when
    clock.move_to(expires_at + timedelta(seconds=6, milliseconds=200))
    response = await client.get(ME, headers=bearer(token))

    # then
    assert_error(response, 401, "TOKEN_EXPIRED")
