"""Runtime settings change what the services do, at once and without a restart."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import super_admin

ACCOUNT = {"email": "user@example.com", "password": "SecurePassword123!"}
WRONG = {"email": "user@example.com", "password": "WrongPassword123!"}


async def set_setting(app: FastAPI, client: httpx.AsyncClient, key: str, value: Any) -> None:
    root = await super_admin(app)
    response = await client.patch(
        f"/v1/admin/settings/{key}", json={"value": value}, headers=root.headers
    )
    assert response.status_code == 200, response.text


async def test_required_verification_refuses_unverified_logins_after_the_password(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    assert (await client.post("/v1/auth/register", json=ACCOUNT)).status_code == 201
    await set_setting(app, client, "email_verification_required", True)

    # when
    right = await client.post("/v1/auth/login", json=ACCOUNT)
    wrong = await client.post("/v1/auth/login", json=WRONG)

    # then: only the right password learns that verification is missing
    assert right.status_code == 403, right.text
    assert right.json()["error"]["code"] == "EMAIL_NOT_VERIFIED"
    assert wrong.json()["error"]["code"] == "INVALID_CREDENTIALS"


async def test_turned_off_magic_links_are_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    await set_setting(app, client, "magic_link_enabled", False)

    # when
    response = await client.post("/v1/auth/magic-link/send", json={"email": ACCOUNT["email"]})

    # then
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "FEATURE_DISABLED"


async def test_the_lockout_threshold_applies_at_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    assert (await client.post("/v1/auth/register", json=ACCOUNT)).status_code == 201
    await set_setting(app, client, "lockout_threshold", 2)
    for _ in range(2):
        assert (await client.post("/v1/auth/login", json=WRONG)).status_code == 401

    # when
    response = await client.post("/v1/auth/login", json=ACCOUNT)

    # then
    assert response.status_code == 423, response.text


async def test_the_access_token_lifetime_applies_to_the_next_token(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    assert (await client.post("/v1/auth/register", json=ACCOUNT)).status_code == 201
    await set_setting(app, client, "access_token_ttl_seconds", 120)

    # when
    response = await client.post("/v1/auth/login", json=ACCOUNT)

    # then
    assert response.status_code == 200, response.text
    assert response.json()["expires_in"] == 120
