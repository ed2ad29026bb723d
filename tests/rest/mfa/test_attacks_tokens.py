"""Credentials of the login step used where they do not belong, over REST: the enrolment
token, the password-change token, the pending login's ``mfa_token``, a trusted device's
token and a refresh token are no access tokens; and the secrets of the login step die when
what they prove changes (a password reset ends pending logins and enrolments)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from identity.models import TokenPurpose
from identity.services import one_time
from tests.factories import ACCOUNT_PASSWORD, add_user, set_setting
from tests.support.app import runtime
from tests.support.clocks import install_clock
from tests.support.http import bearer
from tests.support.mfa_login import COMPLETE, challenges, mfa_user, password_login, steady

ROUTES: list[tuple[str, str]] = [
    ("GET", "/v1/auth/mfa/status"),
    ("POST", "/v1/auth/mfa/disable"),
    ("POST", "/v1/auth/mfa/backup-codes"),
    ("GET", "/v1/auth/mfa/backup-codes/count"),
    ("POST", "/v1/auth/mfa/preferred"),
    ("POST", "/v1/auth/reauthenticate"),
    ("GET", "/v1/auth/mfa/webauthn/credentials"),
    ("DELETE", "/v1/auth/mfa/webauthn/credentials"),
    ("POST", "/v1/auth/mfa/trust-device"),
    ("POST", "/v1/auth/mfa/revoke-trust"),
    ("POST", "/v1/auth/mfa/email/disable"),
    ("GET", "/v1/devices"),
    ("GET", "/v1/sessions"),
    ("GET", "/v1/auth/sessions"),
    ("POST", "/v1/auth/revoke-all-sessions"),
    ("POST", "/v1/auth/change-password"),
    ("GET", "/v1/auth/me"),
]
SETUP_ROUTES: list[tuple[str, str]] = [
    ("POST", "/v1/auth/mfa/setup"),
    ("POST", "/v1/auth/mfa/enable"),
    ("POST", "/v1/auth/mfa/email/enable"),
    ("POST", "/v1/auth/mfa/webauthn/register/begin"),
    ("POST", "/v1/auth/mfa/webauthn/register/finish"),
]
"""What an enrolment token may reach (setting up a factor); nothing else may."""
REFUSED = {401, 403}


async def _refused_everywhere(
    client: httpx.AsyncClient, token: str, routes: list[tuple[str, str]]
) -> None:
    for method, path in routes:
        response = await client.request(method, path, headers=bearer(token), json={})
        assert response.status_code in REFUSED, (path, response.status_code, response.text)
        assert response.json()["error"]["code"] in (
            "TOKEN_INVALID",
            "AUTHENTICATION_REQUIRED",
            "PASSWORD_CHANGE_REQUIRED",
        ), (path, response.text)


async def test_the_pending_logins_token_is_no_bearer(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app)
    answer = await password_login(client, user.email)
    await _refused_everywhere(client, answer["mfa_token"], ROUTES + SETUP_ROUTES)
    me = await client.post(
        "/graphql", json={"query": "{ me { id } }"}, headers=bearer(answer["mfa_token"])
    )
    assert me.json().get("data") is None or me.json()["data"]["me"] is None
    [row] = await challenges(app, user.id)
    assert (row.used_at, row.failures) == (None, 0)


async def test_the_enrolment_token_reaches_no_other_route(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await set_setting(app, client, "mfa_required_for", "all")
    email = f"enrol-{uuid.uuid4().hex[:8]}@example.com"
    await add_user(
        app,
        email,
        password_hash=await runtime(app).deps.hasher.hash(ACCOUNT_PASSWORD),
        email_verified=True,
    )
    answer = await password_login(client, email)
    token = answer["enrollment_token"]
    await _refused_everywhere(client, token, ROUTES)
    refresh = await client.post("/v1/auth/refresh", json={"refresh_token": token})
    assert refresh.status_code in (400, 401, 422), refresh.text
    complete = await client.post(COMPLETE, json={"mfa_token": token, "code": "123456"})
    assert complete.status_code == 401
    assert complete.json()["error"]["code"] == "MFA_CODE_INVALID"


async def test_the_password_change_token_cannot_enrol_or_trust(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    email = f"must-change-{uuid.uuid4().hex[:8]}@example.com"
    await add_user(
        app,
        email,
        password_hash=await runtime(app).deps.hasher.hash(ACCOUNT_PASSWORD),
        email_verified=True,
        must_change_password=True,
    )
    answer = await password_login(client, email)
    assert answer["password_change_required"] is True
    token = answer["access_token"]
    await _refused_everywhere(client, token, SETUP_ROUTES + ROUTES[:-2])


@pytest.mark.parametrize("kind", ["device", "refresh"])
async def test_a_device_or_refresh_token_is_no_bearer(
    app: FastAPI, client: httpx.AsyncClient, kind: str
) -> None:
    clock = install_clock(app)
    user = await mfa_user(app)
    moment = steady(clock)
    answer = await password_login(client, user.email)
    done = await client.post(
        COMPLETE, json={"mfa_token": answer["mfa_token"], "code": user.code(moment)}
    )
    assert done.status_code == 200, done.text
    if kind == "device":
        trusted = await client.post(
            "/v1/auth/mfa/trust-device", json={}, headers=bearer(done.json()["access_token"])
        )
        assert trusted.status_code == 200, trusted.text
        token = trusted.json()["device_token"]
    else:
        token = done.json()["refresh_token"]
    await _refused_everywhere(client, token, ROUTES + SETUP_ROUTES)


async def _reset(app: FastAPI, client: httpx.AsyncClient, user_id: uuid.UUID, email: str) -> None:
    deps = runtime(app).deps
    async with deps.database.unit_of_work() as session:
        token = await one_time.issue(
            session,
            purpose=TokenPurpose.PASSWORD_RESET,
            email=email,
            user_id=user_id,
            now=deps.clock.now(),
            lifetime=timedelta(minutes=30),
        )
    reset = await client.post(
        "/v1/auth/reset-password", json={"token": token, "new_password": "Reset-Password-2026!"}
    )
    assert reset.status_code == 200, reset.text


async def test_a_password_reset_ends_the_pending_login(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app)
    answer = await password_login(client, user.email)
    await _reset(app, client, user.id, user.email)
    late = await client.post(
        f"{COMPLETE}/backup", json={"mfa_token": answer["mfa_token"], "code": user.backup_codes[0]}
    )
    assert late.status_code == 401
    assert late.json()["error"]["code"] == "MFA_CODE_INVALID"
    assert "access_token" not in late.json()


async def test_a_password_reset_ends_the_enrolment_token(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await set_setting(app, client, "mfa_required_for", "all")
    email = f"enrol-reset-{uuid.uuid4().hex[:8]}@example.com"
    user_id = await add_user(
        app,
        email,
        password_hash=await runtime(app).deps.hasher.hash(ACCOUNT_PASSWORD),
        email_verified=True,
    )
    answer = await password_login(client, email)
    await _reset(app, client, user_id, email)
    setup = await client.post("/v1/auth/mfa/setup", headers=bearer(answer["enrollment_token"]))
    assert setup.status_code == 401, setup.text
