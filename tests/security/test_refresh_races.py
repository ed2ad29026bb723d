"""A refresh racing what ends its session (attack review of the driver's one-statement refresh).

On PostgreSQL the refresh is one statement that locks the session row first; a logout or a
lock either commits before it (nothing rotates) or after it (and ends the session its
successor belongs to). Either way, once both have answered, nothing the race handed out
still works. Two rounds each: the interleaving differs from round to round.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import ACCOUNT_PASSWORD, register, super_admin
from tests.support.http import bearer

ROUNDS = 2


async def _signed_in(client: httpx.AsyncClient, email: str) -> dict[str, Any]:
    account = (await register(client, email)).json()
    login = await client.post(
        "/api/v1/auth/login", json={"email": email, "password": ACCOUNT_PASSWORD}
    )
    assert login.status_code == 200, login.text
    return {**login.json(), "user_id": account["id"]}


async def _refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/api/v1/auth/refresh", json={"refresh_token": token})


async def _nothing_usable_after(
    client: httpx.AsyncClient, tokens: dict[str, Any], refreshed: httpx.Response
) -> None:
    assert (await _refresh(client, tokens["refresh_token"])).status_code in (401, 403)
    if refreshed.status_code == 200:
        successor = refreshed.json()
        assert (await _refresh(client, successor["refresh_token"])).status_code in (401, 403)
        me = await client.get("/api/v1/auth/me", headers=bearer(successor["access_token"]))
        assert me.status_code in (401, 403)
    else:
        assert refreshed.status_code in (401, 403)


async def test_a_refresh_racing_a_logout_leaves_nothing_usable(client: httpx.AsyncClient) -> None:
    for round_ in range(ROUNDS):
        tokens = await _signed_in(client, f"race-logout-{round_}@example.com")
        refreshed, logout = await asyncio.gather(
            _refresh(client, tokens["refresh_token"]),
            client.post(
                "/api/v1/auth/logout",
                headers=bearer(tokens["access_token"]),
                json={"refresh_token": tokens["refresh_token"]},
            ),
        )
        assert logout.status_code == 204, logout.text
        await _nothing_usable_after(client, tokens, refreshed)


async def test_a_refresh_racing_an_admin_lock_leaves_nothing_usable(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin = await super_admin(app)
    for round_ in range(ROUNDS):
        tokens = await _signed_in(client, f"race-lock-{round_}@example.com")
        refreshed, lock = await asyncio.gather(
            _refresh(client, tokens["refresh_token"]),
            client.post(
                f"/api/v1/users/{tokens['user_id']}/lock",
                headers=admin.headers,
                json={"reason": "race"},
            ),
        )
        assert lock.status_code == 200, lock.text
        await _nothing_usable_after(client, tokens, refreshed)
