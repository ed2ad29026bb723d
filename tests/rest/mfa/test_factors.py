"""The caller's second factors over REST (seed 003): TOTP enrolment as in the seed's example,
status, backup codes, preferred method, turning MFA off, re-authentication; every refusal
with its stable code."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from fastapi import FastAPI

from identity.models.mfa import TrustedDevice
from identity.security import otp
from identity.security.secrets import hash_token
from tests.factories import ACCOUNT_PASSWORD
from tests.flows.conftest import queued_to
from tests.support.app import runtime
from tests.support.clocks import install_clock
from tests.support.http import assert_error
from tests.support.mfa_factors import (
    authenticated_at,
    code_at,
    mfa_row,
    signed_in,
    steady,
    unused_codes,
    with_totp,
)

STATUS = "/v1/auth/mfa/status"
SETUP = "/v1/auth/mfa/setup"
ENABLE = "/v1/auth/mfa/enable"
DISABLE = "/v1/auth/mfa/disable"
CODES = "/v1/auth/mfa/backup-codes"
COUNT = "/v1/auth/mfa/backup-codes/count"
PREFERRED = "/v1/auth/mfa/preferred"
REAUTH = "/v1/auth/reauthenticate"


async def test_the_seed_example_sets_up_and_enables_totp(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    moment = steady(clock)
    account = await signed_in(app, "user@example.com")
    before = await client.get(STATUS, headers=account.headers)
    assert before.json() == {
        "enabled": False,
        "methods": [],
        "preferred": None,
        "backup_codes_remaining": 0,
        "trusted_device": False,
    }

    setup = await client.post(SETUP, headers=account.headers)
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    assert setup.json()["url"] == (
        f"otpauth://totp/identity:user%40example.com?secret={secret}&issuer=identity"
    )
    assert setup.json()["qr_code"].startswith("data:image/svg+xml")
    assert (await client.get(STATUS, headers=account.headers)).json()["enabled"] is False

    enabled = await client.post(
        ENABLE, json={"code": code_at(secret, moment)}, headers=account.headers
    )

    assert enabled.status_code == 200, enabled.text
    assert enabled.json()["message"] == "MFA enabled"
    assert len(enabled.json()["backup_codes"]) == 10
    assert (await client.get(STATUS, headers=account.headers)).json() == {
        "enabled": True,
        "methods": ["totp", "backup_code"],
        "preferred": "totp",
        "backup_codes_remaining": 10,
        "trusted_device": False,
    }
    assert (await client.get(COUNT, headers=account.headers)).json() == {"count": 10}
    subjects = [mail.subject for mail in await queued_to(app, "user@example.com")]
    assert "A second factor was added to your account" in subjects
    again = await client.post(SETUP, headers=account.headers)
    assert_error(again, 409, "MFA_ALREADY_ENABLED")


async def test_every_route_needs_a_session(client: httpx.AsyncClient) -> None:
    for method, path in [
        ("GET", STATUS),
        ("POST", SETUP),
        ("POST", ENABLE),
        ("POST", DISABLE),
        ("POST", CODES),
        ("GET", COUNT),
        ("POST", PREFERRED),
        ("POST", REAUTH),
    ]:
        response = await client.request(method, path, json={"code": "123456", "method": "totp"})
        assert_error(response, 401, "AUTHENTICATION_REQUIRED")
    refused = await client.post(SETUP, headers={"Authorization": "Bearer mfe_nonsense"})
    assert_error(refused, 401, "TOKEN_INVALID")


async def test_malformed_codes_and_bodies_have_stable_codes(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    account = await signed_in(app)
    missing = await client.post(ENABLE, json={"code": "123456"}, headers=account.headers)
    assert_error(missing, 409, "MFA_SETUP_REQUIRED")
    await client.post(SETUP, headers=account.headers)
    for code in ["12345", "1234567", "abcdef", "12 34 56"]:
        response = await client.post(ENABLE, json={"code": code}, headers=account.headers)
        assert_error(response, 422, "VALIDATION_ERROR")
    for body in [{"code": "1" * 65}, {"code": 123456}, {}, {"code": None}]:
        response = await client.post(ENABLE, json=body, headers=account.headers)
        assert_error(response, 422, "VALIDATION_ERROR")
    huge = await client.post(ENABLE, json={"code": "1" * 200_000}, headers=account.headers)
    assert_error(huge, 413, "PAYLOAD_TOO_LARGE")
    wrong = await client.post(ENABLE, json={"code": "000000"}, headers=account.headers)
    if wrong.status_code != 200:
        assert_error(wrong, 401, "MFA_CODE_INVALID")
    for method in ["sms", "backup_code", "", "x" * 21]:
        response = await client.post(PREFERRED, json={"method": method}, headers=account.headers)
        assert_error(response, 422, "VALIDATION_ERROR")
    response = await client.post(PREFERRED, json={"method": "email"}, headers=account.headers)
    assert_error(response, 409, "MFA_NOT_ENABLED")
    response = await client.post(REAUTH, json={}, headers=account.headers)
    assert_error(response, 401, "INVALID_CREDENTIALS")
    response = await client.post(
        REAUTH, json={"code": "1", "method": "sms"}, headers=account.headers
    )
    assert_error(response, 422, "VALIDATION_ERROR")


async def test_disable_needs_recent_authentication(app: FastAPI, client: httpx.AsyncClient) -> None:
    clock = install_clock(app)
    moment = steady(clock)
    account = await signed_in(app, "off@example.com")
    secret, _ = await with_totp(app, account)
    now = runtime(app).clock.now()
    async with runtime(app).database.unit_of_work() as session:
        session.add(
            TrustedDevice(
                user_id=account.id,
                token_hash=hash_token("device"),
                device_key="laptop",
                created_at=now,
                expires_at=now + timedelta(days=30),
            )
        )
    trusted = await client.get(STATUS, headers={**account.headers, "X-Device-Token": "device"})
    assert trusted.json()["trusted_device"] is True
    later = moment + timedelta(minutes=6)
    clock.move_to(later)

    refused = await client.post(DISABLE, headers=account.headers)
    assert_error(refused, 403, "REAUTHENTICATION_REQUIRED")
    wrong = await client.post(DISABLE, json={"code": "ABCDE-FGHJK"}, headers=account.headers)
    assert_error(wrong, 401, "MFA_CODE_INVALID")
    assert (await mfa_row(app, account.id)) is not None

    response = await client.post(
        DISABLE, json={"code": code_at(secret, later)}, headers=account.headers
    )

    assert response.status_code == 200, response.text
    assert await mfa_row(app, account.id) is None
    assert await unused_codes(app, account.id) == 0
    status = await client.get(STATUS, headers={**account.headers, "X-Device-Token": "device"})
    assert status.json()["enabled"] is False
    assert status.json()["trusted_device"] is False
    subjects = [mail.subject for mail in await queued_to(app, "off@example.com")]
    assert "Multi-factor authentication was turned off" in subjects
    assert_error(await client.post(DISABLE, headers=account.headers), 409, "MFA_NOT_ENABLED")


async def test_backup_codes_are_replaced_after_a_reauthentication(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    account = await signed_in(app)
    _, old = await with_totp(app, account)
    clock.advance(minutes=5)
    assert_error(
        await client.post(CODES, headers=account.headers), 403, "REAUTHENTICATION_REQUIRED"
    )
    wrong = await client.post(REAUTH, json={"password": "nope"}, headers=account.headers)
    assert_error(wrong, 401, "INVALID_CREDENTIALS")

    proved = await client.post(REAUTH, json={"password": ACCOUNT_PASSWORD}, headers=account.headers)
    assert proved.status_code == 200, proved.text
    at = await authenticated_at(app, account.principal.session_id)
    assert at is not None
    assert proved.json()["recent_until"] == (at + timedelta(minutes=5)).isoformat()[:-6] + "Z"

    replaced = await client.post(CODES, headers=account.headers)
    assert replaced.status_code == 200, replaced.text
    new = replaced.json()["backup_codes"]
    assert len(new) == 10
    assert not set(new) & set(old)
    assert all(otp.normalized_backup_code(code) for code in new)
    assert (await client.get(COUNT, headers=account.headers)).json() == {"count": 10}


async def test_another_users_factors_are_never_reached(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    jane = await signed_in(app)
    john = await signed_in(app)
    _, codes = await with_totp(app, jane)
    status = await client.get(STATUS, headers=john.headers)
    assert status.json()["enabled"] is False
    assert (await client.get(COUNT, headers=john.headers)).json() == {"count": 0}
    spent = await client.post(REAUTH, json={"code": codes[0]}, headers=john.headers)
    assert_error(spent, 401, "MFA_CODE_INVALID")
    assert_error(await client.post(DISABLE, headers=john.headers), 409, "MFA_NOT_ENABLED")
    assert await unused_codes(app, jane.id) == 10


async def test_the_public_settings_show_mfa(client: httpx.AsyncClient) -> None:
    body = (await client.get("/v1/auth/settings")).json()
    assert body["mfa_enabled"] is True
    assert body["mfa_methods"] == ["totp", "webauthn", "email", "backup_code"]
    assert body["mfa_required_for"] == "none"


async def test_ten_parallel_uses_of_one_backup_code_pass_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    account = await signed_in(app)
    _, codes = await with_totp(app, account)

    answers = await asyncio.gather(
        *(client.post(REAUTH, json={"code": codes[0]}, headers=account.headers) for _ in range(10))
    )

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 401, 429}
    assert await unused_codes(app, account.id) == 9
