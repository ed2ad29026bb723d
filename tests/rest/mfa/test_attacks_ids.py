"""Ids an attacker makes up, over REST: malformed, oversized or typed wrong device,
credential and user ids on the MFA and device routes answer a stable 4xx (never a 500) and
change nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import super_admin
from tests.support.trusted_devices import mfa_account

NUL = "%00"
WEIRD_IDS = [
    "0",
    "-1",
    "x" * 5_000,
    NUL,
    "..%2F..%2Fadmin",
    "\u0661\u0662\u0663",
    "00000000-0000-0000-0000-00000000000g",
    "00000000-0000-0000-0000-000000000000",
]


@pytest.mark.parametrize("device_id", WEIRD_IDS)
async def test_made_up_device_ids(app: FastAPI, client: httpx.AsyncClient, device_id: str) -> None:
    caller = await mfa_account(app, device_id="laptop")
    for method in ("GET", "DELETE"):
        response = await client.request(method, f"/v1/devices/{device_id}", headers=caller.headers)
        assert response.status_code in (400, 404, 414, 422), (method, response.text)
    for method in ("POST", "DELETE"):
        response = await client.request(
            method, f"/v1/devices/{device_id}/trust", headers=caller.headers
        )
        assert response.status_code in (400, 403, 404, 414, 422), (method, response.text)
    listed = await client.get("/v1/devices", headers=caller.headers)
    assert listed.status_code == 200
    assert len(listed.json()["devices"]) == 1


CREDENTIAL_BODIES: list[Any] = [
    {"credential_id": 7},
    {"credential_id": ["a"]},
    {"credential_id": None},
    {"credential_id": "A" * 5_000},
    {"credential_id": "not base64url!"},
    {"credential_id": ""},
    {},
    [],
]


@pytest.mark.parametrize("body", CREDENTIAL_BODIES, ids=range(len(CREDENTIAL_BODIES)))
async def test_made_up_credential_ids(app: FastAPI, client: httpx.AsyncClient, body: Any) -> None:
    caller = await mfa_account(app)
    response = await client.request(
        "DELETE", "/v1/auth/mfa/webauthn/credentials", json=body, headers=caller.headers
    )
    assert response.status_code in (400, 403, 404, 422), response.text
    assert response.json()["error"]["code"]


@pytest.mark.parametrize("user_id", WEIRD_IDS)
async def test_made_up_user_ids_for_an_mfa_reset(
    app: FastAPI, client: httpx.AsyncClient, user_id: str
) -> None:
    admin = await super_admin(app)
    response = await client.post(f"/v1/admin/users/{user_id}/mfa/reset", headers=admin.headers)
    assert response.status_code in (400, 404, 414, 422), response.text
    assert response.json()["error"]["code"]
