"""The login step over REST: every seed's password login answers ``mfa_required`` for an
account with MFA (no tokens), and ``POST /v1/auth/login/mfa`` (the seed's ``{user_id, code}``)
answers exactly what the login would have: tokens, or in cookie mode cookies and a CSRF token.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from identity.models import TokenPurpose
from identity.services import one_time
from identity.web.cookies import CSRF_COOKIE, REFRESH_COOKIE
from tests.factories import ACCOUNT_PASSWORD
from tests.support.app import runtime
from tests.support.clocks import install_clock
from tests.support.jwt import jwt_parts
from tests.support.mfa_factors import signed_in
from tests.support.mfa_login import COMPLETE, challenges, mfa_user, password_login, steady

SEED_LOGINS = ["/api/v1/auth/login", "/v1/auth/login", "/auth/token"]


@pytest.mark.parametrize("path", SEED_LOGINS)
async def test_every_seed_login_answers_mfa_required_without_tokens(
    app: FastAPI, client: httpx.AsyncClient, path: str
) -> None:
    user = await mfa_user(app)
    answer = await password_login(client, user.email, path=path)
    assert answer["mfa_required"] is True
    assert answer["user_id"] == str(user.id)
    assert answer["methods"] == ["totp", "backup_code"]
    assert answer["preferred"] == "totp"
    assert answer["mfa_token"].startswith("mfa_")
    assert answer["expires_in"] == 300
    assert "access_token" not in answer
    assert "refresh_token" not in answer
    assert REFRESH_COOKIE not in client.cookies


async def test_the_seed_example_completes_with_user_id_and_code(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    user = await mfa_user(app)
    moment = steady(clock)
    answer = await password_login(client, user.email)
    response = await client.post(
        COMPLETE, json={"user_id": answer["user_id"], "code": user.code(moment)}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["id"] == str(user.id)
    assert body["tokens"]["access_token"] == body["access_token"]
    assert body["refresh_token"].startswith("rt_")
    assert body["password_change_required"] is False
    _, claims, _ = jwt_parts(body["access_token"])
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    me = await client.get(
        "/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200, me.text
    # the same code again: refused (used step, and the pending login is used up)
    again = await client.post(
        COMPLETE, json={"user_id": answer["user_id"], "code": user.code(moment)}
    )
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "MFA_CODE_INVALID"


async def test_cookie_mode_login_completes_in_cookie_mode(
    app: FastAPI, browser: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    user = await mfa_user(app)
    moment = steady(clock)
    answer = await password_login(browser, user.email, path="/auth/token")
    response = await browser.post(
        COMPLETE, json={"mfa_token": answer["mfa_token"], "code": user.code(moment)}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["refresh_token"] is None
    assert body["csrf_token"]
    assert response.cookies.get(CSRF_COOKIE) == body["csrf_token"]
    refresh_cookie = next(
        one for one in response.headers.get_list("set-cookie") if REFRESH_COOKIE in one
    )
    assert "Path=/auth" in refresh_cookie
    assert "HttpOnly" in refresh_cookie.replace("httponly", "HttpOnly")
    refreshed = await browser.post(
        "/auth/token/refresh", headers={"X-CSRF-Token": body["csrf_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text


async def test_backup_code_completes_once(app: FastAPI, client: httpx.AsyncClient) -> None:
    user = await mfa_user(app)
    answer = await password_login(client, user.email)
    code = user.backup_codes[0]
    spaced = f"{code[:5]}-{code[5:].lower()}"
    response = await client.post(
        f"{COMPLETE}/backup", json={"user_id": answer["user_id"], "code": spaced}
    )
    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == str(user.id)
    answer = await password_login(client, user.email)
    reused = await client.post(
        f"{COMPLETE}/backup", json={"user_id": answer["user_id"], "code": code}
    )
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "MFA_CODE_INVALID"


async def test_unknown_user_answers_exactly_like_a_wrong_code(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app)
    answer = await password_login(client, user.email)
    wrong = await client.post(COMPLETE, json={"user_id": answer["user_id"], "code": "000000"})
    nobody = await client.post(COMPLETE, json={"user_id": str(uuid.uuid4()), "code": "000000"})
    without_login = await mfa_user(app)
    idle = await client.post(COMPLETE, json={"user_id": str(without_login.id), "code": "000000"})
    malformed = await client.post(COMPLETE, json={"user_id": "1; drop table", "code": "000000"})
    assert wrong.status_code == 401
    for other in (nobody, idle, malformed):
        assert (other.status_code, _error(other)) == (401, _error(wrong))


async def test_another_users_mfa_token_is_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    clock = install_clock(app)
    alice, mallory = await mfa_user(app), await mfa_user(app)
    moment = steady(clock)
    alices = await password_login(client, alice.email)
    mallorys = await password_login(client, mallory.email)
    stolen = await client.post(
        COMPLETE,
        json={
            "user_id": mallorys["user_id"],
            "mfa_token": alices["mfa_token"],
            "code": mallory.code(moment),
        },
    )
    assert stolen.status_code == 401
    [row] = await challenges(app, alice.id)
    assert row.used_at is None


async def test_password_reset_does_not_bypass_mfa(app: FastAPI, client: httpx.AsyncClient) -> None:
    user = await mfa_user(app)
    deps = runtime(app).deps
    async with deps.database.unit_of_work() as session:
        token = await one_time.issue(
            session,
            purpose=TokenPurpose.PASSWORD_RESET,
            email=user.email,
            user_id=user.id,
            now=deps.clock.now(),
            lifetime=timedelta(minutes=30),
        )
    new_password = "Reset-Password-2026!"
    reset = await client.post(
        "/v1/auth/reset-password", json={"token": token, "new_password": new_password}
    )
    assert reset.status_code == 200, reset.text
    answer = await password_login(client, user.email, password=new_password)
    assert answer["mfa_required"] is True
    assert "access_token" not in answer


async def test_oversized_input_is_refused_before_anything(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app)
    answer = await password_login(client, user.email)
    response = await client.post(COMPLETE, json={"user_id": answer["user_id"], "code": "1" * 65})
    assert response.status_code == 422
    [row] = await challenges(app, user.id)
    assert row.failures == 0


def _error(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return {key: value for key, value in error.items() if key not in ("timestamp", "request_id")}


async def test_fifty_parallel_wrong_codes_kill_the_pending_login_and_lock_the_account(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app)
    answer = await password_login(client, user.email)
    body = {"user_id": answer["user_id"], "code": "000000"}
    responses = await asyncio.gather(*(client.post(COMPLETE, json=body) for _ in range(50)))
    assert {one.status_code for one in responses} == {401}
    [row] = await challenges(app, user.id)
    assert row.failures == 5
    locked = await client.post(
        "/v1/auth/login", json={"email": user.email, "password": ACCOUNT_PASSWORD}
    )
    assert locked.status_code == 423, locked.text


async def test_a_password_that_must_change_is_changed_after_the_second_factor(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app, must_change_password=True)
    answer = await password_login(client, user.email)
    assert answer["mfa_required"] is True
    response = await client.post(
        f"{COMPLETE}/backup", json={"user_id": answer["user_id"], "code": user.backup_codes[1]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["password_change_required"] is True
    assert body["refresh_token"] is None


async def test_login_codes_by_email_over_rest(app: FastAPI, client: httpx.AsyncClient) -> None:
    account = await signed_in(app, email_verified=True)
    enabled = await client.post("/v1/auth/mfa/email/enable", headers=account.headers)
    assert enabled.status_code == 200, enabled.text
    twice = await client.post("/v1/auth/mfa/email/enable", headers=account.headers)
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "MFA_ALREADY_ENABLED")
    answer = await password_login(client, account.principal.email)
    assert answer["methods"] == ["email"]
    sent = await client.post(
        f"{COMPLETE}/email/send",
        json={"user_id": answer["user_id"], "mfa_token": answer["mfa_token"]},
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["expires_in"] == 600
    wrong = await client.post(
        f"{COMPLETE}/email", json={"user_id": answer["user_id"], "code": "12345x"}
    )
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "MFA_CODE_INVALID")
    nobody = await client.post(f"{COMPLETE}/email/send", json={"user_id": str(uuid.uuid4())})
    assert (nobody.status_code, nobody.json()["error"]["code"]) == (401, "MFA_CODE_INVALID")
    anonymous = await client.post("/v1/auth/mfa/email/disable")
    assert anonymous.status_code == 401
    disabled = await client.post("/v1/auth/mfa/email/disable", headers=account.headers)
    assert disabled.status_code == 200, disabled.text
