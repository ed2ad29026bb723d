"""Failed logins lock an identifier; unknown and known accounts fail alike; parallel guesses
cannot get past the threshold."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import httpx
import pytest

from identity.app import create_app
from identity.config import Settings
from tests.conftest import open_client
from tests.support.http import assert_error, me_status, post_ok

REGISTER = "/v1/auth/register"
LOGIN = "/v1/auth/login"
# Seed 003's register and login examples.
ACCOUNT = {"email": "user@example.com", "password": "SecurePassword123!"}
WRONG = {"email": "user@example.com", "password": "WrongPassword123!"}
UNKNOWN = {"email": "nobody@example.com", "password": "WrongPassword123!"}
THRESHOLD = 5  # the default IDENTITY_LOCKOUT_THRESHOLD


async def registered(client: httpx.AsyncClient) -> None:
    await post_ok(client, REGISTER, ACCOUNT, status=201)


def comparable(response: httpx.Response) -> dict[str, Any]:
    """A response's status and body without what differs on every request."""
    body = response.json()
    error = {
        key: value for key, value in body["error"].items() if key not in ("timestamp", "request_id")
    }
    return {"status": response.status_code, "body": {**body, "error": error}}


async def test_five_wrong_passwords_then_the_right_one_is_locked(
    client: httpx.AsyncClient,
) -> None:
    # given
    await registered(client)
    for _ in range(THRESHOLD):
        assert_error(await client.post(LOGIN, json=WRONG), 401, "INVALID_CREDENTIALS")

    # when
    response = await client.post(LOGIN, json=ACCOUNT)

    # then
    error = assert_error(response, 423, "ACCOUNT_LOCKED")
    locked_until = datetime.fromisoformat(error["details"]["locked_until"])
    assert locked_until.tzinfo is not None


async def test_four_wrong_passwords_do_not_lock(client: httpx.AsyncClient) -> None:
    # given
    await registered(client)
    for _ in range(THRESHOLD - 1):
        assert_error(await client.post(LOGIN, json=WRONG), 401, "INVALID_CREDENTIALS")

    # when
    response = await client.post(LOGIN, json=ACCOUNT)

    # then
    assert response.status_code == 200, response.text


async def test_a_successful_login_starts_the_count_again(client: httpx.AsyncClient) -> None:
    # given
    await registered(client)
    for _ in range(THRESHOLD - 1):
        await client.post(LOGIN, json=WRONG)
    assert (await client.post(LOGIN, json=ACCOUNT)).status_code == 200
    for _ in range(THRESHOLD - 1):
        assert_error(await client.post(LOGIN, json=WRONG), 401, "INVALID_CREDENTIALS")

    # when
    response = await client.post(LOGIN, json=ACCOUNT)

    # then
    assert response.status_code == 200, response.text


async def test_an_unknown_account_and_a_wrong_password_answer_alike(
    client: httpx.AsyncClient,
) -> None:
    # given
    await registered(client)

    # when
    wrong = await client.post(LOGIN, json=WRONG)
    unknown = await client.post(LOGIN, json=UNKNOWN)

    # then
    assert_error(wrong, 401, "INVALID_CREDENTIALS")
    assert comparable(unknown) == comparable(wrong)
    assert unknown.headers.keys() == wrong.headers.keys()


async def test_an_unknown_account_locks_like_a_known_one(client: httpx.AsyncClient) -> None:
    # given
    await registered(client)
    for _ in range(THRESHOLD):
        await client.post(LOGIN, json=WRONG)
        await client.post(LOGIN, json=UNKNOWN)

    # when
    known = await client.post(LOGIN, json=WRONG)
    unknown = await client.post(LOGIN, json=UNKNOWN)

    # then
    known_error = assert_error(known, 423, "ACCOUNT_LOCKED")
    unknown_error = assert_error(unknown, 423, "ACCOUNT_LOCKED")
    assert known_error["details"].keys() == unknown_error["details"].keys() == {"locked_until"}
    assert known_error["message"] == unknown_error["message"]


async def test_the_identifier_is_counted_whatever_its_case(client: httpx.AsyncClient) -> None:
    # given
    await registered(client)
    for _ in range(THRESHOLD):
        await client.post(LOGIN, json={**WRONG, "email": "USER@Example.COM"})

    # when
    response = await client.post(LOGIN, json=ACCOUNT)

    # then
    assert_error(response, 423, "ACCOUNT_LOCKED")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/auth/login", ACCOUNT),
        ("/auth/token", ACCOUNT),
        ("/v1/auth/login", ACCOUNT),
    ],
)
async def test_a_lock_holds_on_every_login_route(
    client: httpx.AsyncClient, path: str, body: dict[str, str]
) -> None:
    # given
    await registered(client)
    for _ in range(THRESHOLD):
        await client.post("/api/v1/auth/login", json=WRONG)

    # when
    response = await client.post(path, json=body)

    # then
    assert_error(response, 423, "ACCOUNT_LOCKED")


async def test_a_locked_account_is_locked_by_username_too(client: httpx.AsyncClient) -> None:
    # given
    await post_ok(client, "/api/v1/auth/register", {**ACCOUNT, "username": "testuser"}, status=201)
    for _ in range(THRESHOLD):
        await client.post(LOGIN, json=WRONG)

    # when
    response = await client.post(
        LOGIN, json={"username": "testuser", "password": ACCOUNT["password"]}
    )

    # then
    assert_error(response, 423, "ACCOUNT_LOCKED")


async def test_fifty_parallel_wrong_passwords_lock_after_five(client: httpx.AsyncClient) -> None:
    # given
    await registered(client)

    # when
    responses = await asyncio.gather(*(client.post(LOGIN, json=WRONG) for _ in range(50)))

    # then
    statuses = Counter(response.status_code for response in responses)
    assert set(statuses) <= {401, 423}, statuses
    assert statuses[401] <= THRESHOLD, statuses
    assert statuses[423] == 50 - statuses[401]
    for response in responses:
        expected = "INVALID_CREDENTIALS" if response.status_code == 401 else "ACCOUNT_LOCKED"
        assert_error(response, response.status_code, expected)
    assert_error(await client.post(LOGIN, json=ACCOUNT), 423, "ACCOUNT_LOCKED")


@pytest.fixture
async def strict_client(make_settings: Callable[..., Settings]) -> AsyncIterator[httpx.AsyncClient]:
    async for opened in open_client(create_app(make_settings(lockout_threshold=2))):
        yield opened


async def test_the_threshold_setting_is_honoured(strict_client: httpx.AsyncClient) -> None:
    # given
    await registered(strict_client)
    for _ in range(2):
        assert_error(await strict_client.post(LOGIN, json=WRONG), 401, "INVALID_CREDENTIALS")

    # when
    response = await strict_client.post(LOGIN, json=ACCOUNT)

    # then
    assert_error(response, 423, "ACCOUNT_LOCKED")


async def test_a_lock_stops_new_logins_but_not_the_sessions_already_open(
    client: httpx.AsyncClient,
) -> None:
    """Anyone who knows an address can lock it; that must not log its owner out everywhere."""
    # given
    await registered(client)
    mine = await post_ok(client, LOGIN, ACCOUNT)
    for _ in range(THRESHOLD):
        await client.post(LOGIN, json=WRONG)
    assert_error(await client.post(LOGIN, json=ACCOUNT), 423, "ACCOUNT_LOCKED")

    # when
    response = await client.post("/v1/auth/refresh", json={"refresh_token": mine["refresh_token"]})

    # then
    assert response.status_code == 200, response.text
    assert await me_status(client, mine["access_token"]) == 200


async def test_email_and_username_share_one_allowance(client: httpx.AsyncClient) -> None:
    """Alternating the two identifiers of one account must not double its guesses."""
    # given
    await post_ok(client, "/api/v1/auth/register", {**ACCOUNT, "username": "testuser"}, status=201)
    by_username = {"username": "testuser", "password": WRONG["password"]}
    for attempt in range(THRESHOLD):
        body = WRONG if attempt % 2 else by_username
        assert_error(await client.post(LOGIN, json=body), 401, "INVALID_CREDENTIALS")

    # when
    response = await client.post(LOGIN, json=ACCOUNT)

    # then
    assert_error(response, 423, "ACCOUNT_LOCKED")


CHANGE = "/api/v1/auth/change-password"


async def test_guesses_of_the_current_password_are_capped_without_locking_logins(
    client: httpx.AsyncClient,
) -> None:
    """A stolen access token must not buy unlimited guesses at the password it protects."""
    # given
    await registered(client)
    tokens = await post_ok(client, LOGIN, ACCOUNT)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    guess = {"current_password": "NotMyPassword-1", "new_password": "Another-Secret-2026"}
    for _ in range(THRESHOLD):
        response = await client.post(CHANGE, json=guess, headers=headers)
        assert_error(response, 401, "INVALID_CREDENTIALS")

    # when
    right = {**guess, "current_password": ACCOUNT["password"]}
    refused = await client.post(CHANGE, json=right, headers=headers)

    # then
    error = assert_error(refused, 429, "TOO_MANY_ATTEMPTS")
    assert datetime.fromisoformat(error["details"]["locked_until"]).tzinfo is not None
    assert (await client.post(LOGIN, json=ACCOUNT)).status_code == 200
