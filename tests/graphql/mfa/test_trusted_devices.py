"""Trusted devices over GraphQL: trustDevice, revokeDeviceTrust and me.devices' trust."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from identity.services.mfa import trusted
from tests.factories import ACCOUNT_PASSWORD
from tests.support.app import runtime
from tests.support.clocks import install_clock
from tests.support.graphql import gql, gql_data
from tests.support.trusted_devices import mfa_account, sign_in, trust_rows

TRUST = """
mutation Trust($days: Int, $deviceId: String, $deviceToken: String) {
  trustDevice(days: $days, deviceId: $deviceId, deviceToken: $deviceToken) {
    __typename
    ... on DeviceTrusted { deviceToken deviceId trustedUntil days }
    ... on Error { code field }
  }
}
"""
REVOKE = """
mutation Revoke($deviceId: String, $deviceToken: String) {
  revokeDeviceTrust(deviceId: $deviceId, deviceToken: $deviceToken) {
    __typename
    ... on DeviceTrustRevoked { revoked }
    ... on Error { code }
  }
}
"""
DEVICES = "{ me { devices { id current trusted trustedUntil sessions { id } } } }"


async def _recognizes(app: FastAPI, user_id: uuid.UUID, token: str) -> bool:
    deps = runtime(app).deps
    async with deps.database.unit_of_work() as session:
        return await trusted.recognizes(
            session,
            user_id=user_id,
            token=token,
            now=deps.clock.now(),
        )


async def test_trust_device_and_me_devices(app: FastAPI, client: httpx.AsyncClient) -> None:
    me = await mfa_account(app, device_id="laptop")
    data = await gql_data(client, TRUST, {"days": 5}, token=me.token)
    answer = data["trustDevice"]
    assert answer["__typename"] == "DeviceTrusted"
    assert answer["deviceId"] == "laptop"
    assert answer["days"] == 5
    assert await _recognizes(app, me.user_id, answer["deviceToken"])
    devices = (await gql_data(client, DEVICES, token=me.token))["me"]["devices"]
    assert devices == [
        {
            "id": "laptop",
            "current": True,
            "trusted": True,
            "trustedUntil": answer["trustedUntil"],
            "sessions": [{"id": str(me.session_id)}],
        }
    ]

    data = await gql_data(client, REVOKE, token=me.token)
    assert data["revokeDeviceTrust"] == {"__typename": "DeviceTrustRevoked", "revoked": 1}
    assert not await _recognizes(app, me.user_id, answer["deviceToken"])
    devices = (await gql_data(client, DEVICES, token=me.token))["me"]["devices"]
    assert devices[0]["trusted"] is False
    assert devices[0]["trustedUntil"] is None


async def test_days_out_of_range_and_not_whole_are_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    me = await mfa_account(app)
    for days in (0, 91, -5):
        answer = (await gql_data(client, TRUST, {"days": days}, token=me.token))["trustDevice"]
        assert answer == {
            "__typename": "ValidationError",
            "code": "VALIDATION_ERROR",
            "field": "days",
        }
    for bad in (1.5, "30", 2**40):
        body = await gql(client, TRUST, {"days": bad}, token=me.token)
        assert body["errors"], bad
        assert body.get("data") is None
    assert await trust_rows(app, me.user_id) == []


async def test_refusals_are_data_and_change_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    laptop = await mfa_account(app, device_id="laptop")
    await sign_in(app, laptop.user_id, device_id="phone")
    victim = await mfa_account(app, device_id="victim-phone")
    victim_token = (await gql_data(client, TRUST, token=victim.token))["trustDevice"]["deviceToken"]
    password_only = await mfa_account(app, amr=["pwd"])
    no_mfa = await mfa_account(app, mfa=False)
    cases = [
        (
            laptop.token,
            TRUST,
            {"deviceId": "phone"},
            "trustDevice",
            "Conflict",
            "DEVICE_NOT_CURRENT",
        ),
        (
            laptop.token,
            TRUST,
            {"deviceId": "victim-phone"},
            "trustDevice",
            "NotFound",
            "RESOURCE_NOT_FOUND",
        ),
        (
            laptop.token,
            REVOKE,
            {"deviceId": "victim-phone"},
            "revokeDeviceTrust",
            "NotFound",
            "RESOURCE_NOT_FOUND",
        ),
        (
            password_only.token,
            TRUST,
            {},
            "trustDevice",
            "PermissionDenied",
            "MFA_SECOND_FACTOR_REQUIRED",
        ),
        (no_mfa.token, TRUST, {}, "trustDevice", "Conflict", "MFA_NOT_ENABLED"),
    ]
    for token, document, variables, field, typename, code in cases:
        answer = (await gql_data(client, document, variables, token=token))[field]
        assert (answer["__typename"], answer["code"]) == (typename, code), (variables, answer)
    for user_id in (laptop.user_id, password_only.user_id, no_mfa.user_id):
        assert await trust_rows(app, user_id) == []
    assert await _recognizes(app, victim.user_id, victim_token)
    assert not await _recognizes(app, laptop.user_id, victim_token)
    body = await gql(client, TRUST)
    assert body["errors"][0]["extensions"]["code"] == "AUTHENTICATION_REQUIRED"


LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { __typename ... on Error { code } }
}
"""


async def test_login_with_the_device_token_skips_the_second_factor(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    me = await mfa_account(app, "gql-trusted@example.com")
    token = (await gql_data(client, TRUST, token=me.token))["trustDevice"]["deviceToken"]
    credentials = {"identifier": "gql-trusted@example.com", "password": ACCOUNT_PASSWORD}
    with_token = {"input": {**credentials, "deviceToken": token}}
    assert (await gql_data(client, LOGIN, with_token))["login"]["__typename"] == "AuthPayload"
    without = {"input": credentials}
    assert (await gql_data(client, LOGIN, without))["login"]["__typename"] == "MfaRequired"
    assert (await gql_data(client, REVOKE, {"deviceToken": token}, token=me.token))[
        "revokeDeviceTrust"
    ]["revoked"] == 1
    assert (await gql_data(client, LOGIN, with_token))["login"]["__typename"] == "MfaRequired"


async def test_trusting_needs_recent_authentication(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    me = await mfa_account(app)
    clock.advance(minutes=5)
    answer = (await gql_data(client, TRUST, token=me.token))["trustDevice"]
    assert (answer["__typename"], answer["code"]) == (
        "PermissionDenied",
        "REAUTHENTICATION_REQUIRED",
    )
    assert await trust_rows(app, me.user_id) == []
