"""After a password change the caller's session gets a new refresh token and the old one is
dead (issue 10, item 26): a refresh token stolen before the change must not outlive it.

Today the old refresh token keeps the session going after the password changed.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.http import assert_error, bearer, me_status, post_ok

ACCOUNT = {"email": "user@example.com", "password": "SecurePassword123!"}
NEW_PASSWORD = "Another-Secret-2026"
CHANGE_PATHS = [
    "/api/v1/auth/change-password",
    "/v1/auth/change-password",
    "/v1/auth/password/change",
]


async def two_sessions(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, Any]]:
    await post_ok(client, "/v1/auth/register", ACCOUNT, status=201)
    return (
        await post_ok(client, "/v1/auth/login", ACCOUNT),
        await post_ok(client, "/v1/auth/login", ACCOUNT),
    )


async def change(client: httpx.AsyncClient, path: str, access: str) -> dict[str, Any]:
    return await post_ok(
        client,
        path,
        {"current_password": ACCOUNT["password"], "new_password": NEW_PASSWORD},
        headers=bearer(access),
    )


@pytest.mark.parametrize("path", CHANGE_PATHS)
async def test_the_answer_keeps_the_documented_message_and_carries_new_tokens(
    client: httpx.AsyncClient, path: str
) -> None:
    # given
    mine, _ = await two_sessions(client)

    # when
    changed = await change(client, path, mine["access_token"])

    # then
    assert changed["message"] == "Password changed successfully"
    assert changed["sessions_revoked"] == 1
    assert changed["session_id"] == mine["session_id"]
    assert changed["refresh_token"].startswith("rt_")
    assert changed["refresh_token"] != mine["refresh_token"]
    assert changed["tokens"]["refresh_token"] == changed["refresh_token"]
    assert await me_status(client, changed["access_token"]) == 200


@pytest.mark.parametrize("path", CHANGE_PATHS)
async def test_the_old_refresh_token_is_dead_and_the_new_one_works(
    client: httpx.AsyncClient, path: str
) -> None:
    # given
    mine, other = await two_sessions(client)

    # when
    changed = await change(client, path, mine["access_token"])
    old = await client.post("/v1/auth/refresh", json={"refresh_token": mine["refresh_token"]})

    # then the stolen one is refused without ending the owner's session
    assert_error(old, 401, "TOKEN_INVALID")
    refreshed = await post_ok(
        client, "/v1/auth/refresh", {"refresh_token": changed["refresh_token"]}
    )
    assert await me_status(client, refreshed["access_token"]) == 200
    ended = await client.post("/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert_error(ended, 401, "TOKEN_INVALID")
    assert await me_status(client, other["access_token"]) == 401


async def test_a_refresh_token_rotated_before_the_change_is_dead_too(
    client: httpx.AsyncClient,
) -> None:
    """A token handed out by a refresh within the reuse interval is retired as well."""
    # given a session refreshed once, whose parent could still answer its successor
    mine, _ = await two_sessions(client)
    rotated = await post_ok(client, "/v1/auth/refresh", {"refresh_token": mine["refresh_token"]})

    # when
    changed = await change(client, CHANGE_PATHS[0], rotated["access_token"])

    # then neither the parent nor its successor work; the new token does
    for token in (mine["refresh_token"], rotated["refresh_token"]):
        response = await client.post("/v1/auth/refresh", json={"refresh_token": token})
        assert_error(response, 401, "TOKEN_INVALID")
    assert (
        await client.post("/v1/auth/refresh", json={"refresh_token": changed["refresh_token"]})
    ).status_code == 200
