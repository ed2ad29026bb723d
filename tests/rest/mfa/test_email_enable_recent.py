"""Turning login codes by email on adds a factor that completes logins: it needs recent
authentication (a stolen old session may not add one), unless the caller holds an enrolment
token, which has just proved the password."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.factories import ACCOUNT_PASSWORD, add_user, set_setting
from tests.support.app import runtime
from tests.support.clocks import install_clock
from tests.support.http import bearer
from tests.support.mfa_factors import signed_in
from tests.support.mfa_login import password_login

ENABLE = "/v1/auth/mfa/email/enable"


async def test_an_old_session_cannot_turn_email_codes_on(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    account = await signed_in(app, email_verified=True)
    clock.advance(minutes=runtime(app).deps.settings.recent_auth_minutes)
    refused = await client.post(ENABLE, headers=account.headers)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "REAUTHENTICATION_REQUIRED"
    answer = await password_login(client, account.principal.email)
    assert "access_token" in answer  # nothing was turned on
    again = await client.post(
        "/v1/auth/reauthenticate", json={"password": ACCOUNT_PASSWORD}, headers=account.headers
    )
    assert again.status_code == 200, again.text
    enabled = await client.post(ENABLE, headers=account.headers)
    assert enabled.status_code == 200, enabled.text


async def test_an_enrolment_token_turns_email_codes_on(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await set_setting(app, client, "mfa_required_for", "all")
    email = "enrol-by-email@example.com"
    await add_user(
        app,
        email,
        password_hash=await runtime(app).deps.hasher.hash(ACCOUNT_PASSWORD),
        email_verified=True,
    )
    answer = await password_login(client, email)
    enabled = await client.post(ENABLE, headers=bearer(answer["enrollment_token"]))
    assert enabled.status_code == 200, enabled.text
    assert (await password_login(client, email))["methods"] == ["email"]
