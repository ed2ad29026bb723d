"""A login that skipped the second factor on a trusted device is audited as such: its
``login.succeeded`` row says ``second_factor: trusted_device`` (red team)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.factories import ACCOUNT_PASSWORD
from tests.support.audit import audit_events
from tests.support.trusted_devices import mfa_account

TRUST = "/v1/auth/mfa/trust-device"


async def test_a_trusted_device_login_is_audited_as_such(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    me = await mfa_account(app, "trusted-audit@example.com", device_id="laptop")
    trusted = await client.post(TRUST, json={}, headers=me.headers)
    assert trusted.status_code == 200, trusted.text
    device_token = trusted.json()["device_token"]
    login = await client.post(
        "/v1/auth/login",
        json={
            "email": "trusted-audit@example.com",
            "password": ACCOUNT_PASSWORD,
            "device_token": device_token,
        },
    )
    assert login.status_code == 200, login.text
    assert login.json()["access_token"]
    [row] = await audit_events(app, "login.succeeded", user=me.user_id)
    assert row.details is not None
    assert row.details["second_factor"] == "trusted_device"
    assert row.details["trusted_device"] is True
