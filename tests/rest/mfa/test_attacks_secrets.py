"""Secrets of MFA over REST that must die when what they prove changes, attacked: a trusted
device outliving MFA turned off and on again, backup codes outliving their replacement or
MFA itself, a pending login outliving its account's disabling, and an old (or refreshed)
session weakening MFA without recent authentication; parallel replacements of the backup
codes leaving more than one working set."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col

from identity.models import User, UserStatus
from identity.security import otp
from tests.support.app import runtime
from tests.support.clocks import install_clock
from tests.support.http import bearer
from tests.support.jwt import jwt_parts
from tests.support.mfa_factors import authenticated_at
from tests.support.mfa_login import (
    COMPLETE,
    mfa_user,
    password_login,
    steady,
)


async def test_a_trusted_device_does_not_outlive_mfa_turned_off_and_on(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    user = await mfa_user(app)
    moment = steady(clock)
    answer = await password_login(client, user.email)
    done = await client.post(
        COMPLETE, json={"mfa_token": answer["mfa_token"], "code": user.code(moment)}
    )
    assert done.status_code == 200, done.text
    token = done.json()["access_token"]
    trusted = await client.post("/v1/auth/mfa/trust-device", json={}, headers=bearer(token))
    assert trusted.status_code == 200, trusted.text
    device_token = trusted.json()["device_token"]
    skipped = await password_login(client, user.email, device_token=device_token)
    assert "access_token" in skipped, skipped
    off = await client.post("/v1/auth/mfa/disable", json={}, headers=bearer(token))
    assert off.status_code == 200, off.text
    # back on with a new authenticator app
    setup = await client.post("/v1/auth/mfa/setup", headers=bearer(token))
    assert setup.status_code == 200, setup.text
    code = otp.totp_code(setup.json()["secret"], otp.step_at(runtime(app).clock.now()))
    on = await client.post("/v1/auth/mfa/enable", json={"code": code}, headers=bearer(token))
    assert on.status_code == 200, on.text
    again = await password_login(client, user.email, device_token=device_token)
    assert again.get("mfa_required") is True, again
    assert "access_token" not in again
    # nor do the backup codes of the first enrolment complete the new login
    old = await client.post(
        f"{COMPLETE}/backup", json={"mfa_token": again["mfa_token"], "code": user.backup_codes[0]}
    )
    assert old.status_code == 401


async def test_replaced_backup_codes_open_nothing(app: FastAPI, client: httpx.AsyncClient) -> None:
    clock = install_clock(app)
    user = await mfa_user(app)
    moment = steady(clock)
    answer = await password_login(client, user.email)
    done = await client.post(
        COMPLETE, json={"mfa_token": answer["mfa_token"], "code": user.code(moment)}
    )
    token = done.json()["access_token"]
    assert await authenticated_at(app, uuid.UUID(_sid(token))) is not None
    replaced = await client.post("/v1/auth/mfa/backup-codes", json={}, headers=bearer(token))
    assert replaced.status_code == 200, replaced.text
    fresh = replaced.json()["backup_codes"]
    assert not set(fresh) & set(user.backup_codes)
    pending = await password_login(client, user.email)
    stale = await client.post(
        f"{COMPLETE}/backup", json={"mfa_token": pending["mfa_token"], "code": user.backup_codes[1]}
    )
    assert stale.status_code == 401
    new = await client.post(
        f"{COMPLETE}/backup", json={"mfa_token": pending["mfa_token"], "code": fresh[0]}
    )
    assert new.status_code == 200, new.text


async def test_a_pending_login_of_an_account_disabled_meanwhile_opens_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    user = await mfa_user(app)
    moment = steady(clock)
    answer = await password_login(client, user.email)
    async with runtime(app).database.unit_of_work() as session:
        await session.execute(
            update(User).where(col(User.id) == user.id).values(status=UserStatus.INACTIVE)
        )
    response = await client.post(
        COMPLETE, json={"mfa_token": answer["mfa_token"], "code": user.code(moment)}
    )
    assert response.status_code in (401, 403), response.text
    assert "access_token" not in response.json()


async def test_an_old_session_cannot_weaken_mfa(app: FastAPI, client: httpx.AsyncClient) -> None:
    clock = install_clock(app)
    user = await mfa_user(app, email_codes=True)
    moment = steady(clock)
    answer = await password_login(client, user.email)
    done = await client.post(
        COMPLETE, json={"mfa_token": answer["mfa_token"], "code": user.code(moment)}
    )
    token = done.json()["access_token"]
    clock.advance(minutes=5, seconds=1)
    for path in (
        "/v1/auth/mfa/disable",
        "/v1/auth/mfa/backup-codes",
        "/v1/auth/mfa/email/disable",
    ):
        response = await client.post(path, json={}, headers=bearer(token))
        assert response.status_code == 403, (path, response.text)
        assert response.json()["error"]["code"] == "REAUTHENTICATION_REQUIRED"
    # a refreshed session is no more recent than the login it continues
    refreshed = await client.post(
        "/v1/auth/refresh", json={"refresh_token": done.json()["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    newer = refreshed.json()["access_token"]
    response = await client.post("/v1/auth/mfa/disable", json={}, headers=bearer(newer))
    assert response.status_code == 403, response.text
    # a wrong proof inline does not pass either
    response = await client.post(
        "/v1/auth/mfa/disable", json={"password": "Wrong-Pass-1!"}, headers=bearer(newer)
    )
    assert response.status_code in (401, 403), response.text
    status = await client.get("/v1/auth/mfa/status", headers=bearer(newer))
    assert status.json()["enabled"] is True


def _sid(token: str) -> str:
    _, claims, _ = jwt_parts(token)
    return str(claims["sid"])


async def test_parallel_replacements_leave_one_set_of_ten_codes(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    user = await mfa_user(app)
    moment = steady(clock)
    answer = await password_login(client, user.email)
    done = await client.post(
        COMPLETE, json={"mfa_token": answer["mfa_token"], "code": user.code(moment)}
    )
    token = done.json()["access_token"]
    responses = await asyncio.gather(
        *(
            client.post("/v1/auth/mfa/backup-codes", json={}, headers=bearer(token))
            for _ in range(4)
        )
    )
    answered = [one.json()["backup_codes"] for one in responses if one.status_code == 200]
    assert answered, [one.text for one in responses]
    count = await client.get("/v1/auth/mfa/backup-codes/count", headers=bearer(token))
    assert count.status_code == 200, count.text
    assert 10 in count.json().values(), count.json()
    working = 0
    for codes in answered:
        pending = await password_login(client, user.email)
        used = await client.post(
            f"{COMPLETE}/backup", json={"mfa_token": pending["mfa_token"], "code": codes[0]}
        )
        working += used.status_code == 200
    assert working == 1, f"{working} of {len(answered)} answered sets work"
