"""Wrong second factors count toward the account's lockout until a session opens: a right
password alone (the second step still due) forgives none of them (red team)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.factories import ACCOUNT_PASSWORD, set_setting
from tests.support.clocks import install_clock
from tests.support.mfa_login import COMPLETE, LOGIN, mfa_user, steady

GUESSES = ("000000", "111111", "222222", "333333", "444444")


async def test_a_right_password_does_not_wipe_wrong_second_factors(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await set_setting(app, client, "lockout_threshold", 10)
    user = await mfa_user(app)
    for _ in range(2):  # ten wrong second factors: the threshold
        response = await client.post(
            LOGIN, json={"email": user.email, "password": ACCOUNT_PASSWORD}
        )
        assert response.status_code == 200, response.text
        token = response.json()["mfa_token"]
        for guess in GUESSES:
            wrong = await client.post(COMPLETE, json={"mfa_token": token, "code": guess})
            assert wrong.status_code in (401, 423), wrong.text
    locked = await client.post(LOGIN, json={"email": user.email, "password": ACCOUNT_PASSWORD})
    assert locked.status_code == 423, locked.text
    assert locked.json()["error"]["code"] == "ACCOUNT_LOCKED"


async def test_a_completed_login_forgives_the_failures(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await set_setting(app, client, "lockout_threshold", 10)
    clock = install_clock(app)
    user = await mfa_user(app)
    steady(clock)
    for round_ in range(3):  # eight wrong factors, then a right one: the counter starts again
        response = await client.post(
            LOGIN, json={"email": user.email, "password": ACCOUNT_PASSWORD}
        )
        assert response.status_code == 200, response.text
        token = response.json()["mfa_token"]
        for guess in GUESSES[:4]:
            await client.post(COMPLETE, json={"mfa_token": token, "code": guess})
        if round_ == 0:
            continue
        done = await client.post(
            COMPLETE, json={"mfa_token": token, "code": user.code(clock.now())}
        )
        assert done.status_code == 200, done.text
        assert "access_token" in done.json()
        clock.advance(seconds=30)  # the next TOTP step
