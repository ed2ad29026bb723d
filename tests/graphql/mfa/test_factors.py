"""The caller's second factors over GraphQL: setupTotp/enableTotp, ``me { mfa }`` (loader-
backed), setPreferredMfaMethod, reauthenticate, regenerateBackupCodes and disableMfa behind
recent authentication, resetUserMfa within reach; refusals as union members with codes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import ACCOUNT_PASSWORD, add_member, new_tenant, super_admin, tenant_admin
from tests.support.clocks import install_clock
from tests.support.graphql import gql, gql_field, outcome
from tests.support.mfa_factors import (
    code_at,
    mfa_row,
    signed_in,
    steady,
    unused_codes,
    with_totp,
)

ME_MFA = """{ me { mfa { enabled methods preferred backupCodesRemaining
  webauthnCredentials { id name createdAt lastUsedAt } } } }"""
SETUP = """mutation { setupTotp {
  __typename ... on TotpSetup { secret url qrCode } ... on Error { code } } }"""
ENABLE = """mutation($code: String!) { enableTotp(code: $code) {
  __typename ... on BackupCodes { codes } ... on Error { code field } } }"""
PROOF_ARGS = "$password: String, $code: String, $method: String"
PROOF = "password: $password, code: $code, method: $method"
DISABLE = f"""mutation({PROOF_ARGS}) {{ disableMfa({PROOF}) {{
  __typename ... on MfaDisabled {{ userId }} ... on Error {{ code }} }} }}"""
REGENERATE = f"""mutation({PROOF_ARGS}) {{ regenerateBackupCodes({PROOF}) {{
  __typename ... on BackupCodes {{ codes }} ... on Error {{ code }} }} }}"""
REAUTH = f"""mutation({PROOF_ARGS}) {{ reauthenticate({PROOF}) {{
  __typename ... on Reauthenticated {{ authenticatedAt recentUntil }}
  ... on Error {{ code }} }} }}"""
PREFERRED = """mutation($method: String!) { setPreferredMfaMethod(method: $method) {
  __typename ... on MfaPayload { mfa { methods preferred } } ... on Error { code field } } }"""
RESET = """mutation($id: ID!) { resetUserMfa(userId: $id) {
  __typename ... on MfaDisabled { userId } ... on Error { code } } }"""


async def call(client: httpx.AsyncClient, document: str, token: str, **variables: Any) -> Any:
    return await gql(client, document, variables, token=token)


async def test_enrolment_shows_in_me_mfa(app: FastAPI, client: httpx.AsyncClient) -> None:
    clock = install_clock(app)
    moment = steady(clock)
    account = await signed_in(app, "jane@example.com")
    before = await gql_field(client, ME_MFA, token=account.token)
    assert before["mfa"] == {
        "enabled": False,
        "methods": [],
        "preferred": None,
        "backupCodesRemaining": 0,
        "webauthnCredentials": [],
    }

    setup = (await call(client, SETUP, account.token))["data"]["setupTotp"]
    assert setup["url"].startswith("otpauth://totp/identity:jane%40example.com?secret=")
    assert setup["qrCode"].startswith("data:image/svg+xml")
    wrong = await call(client, ENABLE, account.token, code="12345")
    assert wrong["data"]["enableTotp"] == {
        "__typename": "ValidationError",
        "code": "VALIDATION_ERROR",
        "field": "code",
    }
    enabled = await call(client, ENABLE, account.token, code=code_at(setup["secret"], moment))

    assert len(enabled["data"]["enableTotp"]["codes"]) == 10
    after = await gql_field(client, ME_MFA, token=account.token)
    assert after["mfa"] == {
        "enabled": True,
        "methods": ["totp", "backup_code"],
        "preferred": "totp",
        "backupCodesRemaining": 10,
        "webauthnCredentials": [],
    }
    again = await call(client, SETUP, account.token)
    assert outcome(again, "setupTotp") == "MFA_ALREADY_ENABLED"


async def test_preferred_method_must_be_enabled(app: FastAPI, client: httpx.AsyncClient) -> None:
    account = await signed_in(app)
    await with_totp(app, account)
    refused = await call(client, PREFERRED, account.token, method="email")
    assert outcome(refused, "setPreferredMfaMethod") == "MFA_NOT_ENABLED"
    bad = await call(client, PREFERRED, account.token, method="sms")
    assert outcome(bad, "setPreferredMfaMethod") == "VALIDATION_ERROR"
    chosen = await call(client, PREFERRED, account.token, method="totp")
    assert chosen["data"]["setPreferredMfaMethod"]["mfa"]["preferred"] == "totp"


async def test_disable_and_regenerate_need_recent_authentication(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    moment = steady(clock)
    account = await signed_in(app)
    secret, old = await with_totp(app, account)
    later = moment + timedelta(minutes=5, seconds=30)
    clock.move_to(later)

    assert outcome(await call(client, REGENERATE, account.token), "regenerateBackupCodes") == (
        "REAUTHENTICATION_REQUIRED"
    )
    assert outcome(await call(client, DISABLE, account.token), "disableMfa") == (
        "REAUTHENTICATION_REQUIRED"
    )
    wrong = await call(client, REAUTH, account.token, password="wrong")
    assert outcome(wrong, "reauthenticate") == "INVALID_CREDENTIALS"
    neither = await call(client, REAUTH, account.token)
    assert outcome(neither, "reauthenticate") == "INVALID_CREDENTIALS"
    proved = await call(client, REAUTH, account.token, password=ACCOUNT_PASSWORD)
    assert proved["data"]["reauthenticate"]["__typename"] == "Reauthenticated"

    replaced = await call(client, REGENERATE, account.token)
    new = replaced["data"]["regenerateBackupCodes"]["codes"]
    assert len(new) == 10
    assert not set(new) & set(old)
    clock.move_to(later + timedelta(minutes=5, seconds=30))
    stale = await call(client, DISABLE, account.token)
    assert outcome(stale, "disableMfa") == "REAUTHENTICATION_REQUIRED"
    off = await call(client, DISABLE, account.token, code=code_at(secret, clock.now()))

    assert off["data"]["disableMfa"] == {"__typename": "MfaDisabled", "userId": str(account.id)}
    assert await mfa_row(app, account.id) is None
    assert (await gql_field(client, ME_MFA, token=account.token))["mfa"]["enabled"] is False


async def test_one_guess_per_document(app: FastAPI, client: httpx.AsyncClient) -> None:
    account = await signed_in(app)
    body = await gql(
        client,
        'mutation { a: reauthenticate(code: "123456") { __typename } '
        'b: reauthenticate(code: "654321") { __typename } }',
        token=account.token,
    )
    assert body["errors"]


async def test_mfa_of_another_user_is_not_shown(app: FastAPI, client: httpx.AsyncClient) -> None:
    jane = await signed_in(app)
    await with_totp(app, jane)
    root = await super_admin(app)
    found = await gql_field(
        client,
        "query($id: ID!) { user(id: $id) { mfa { enabled } } }",
        {"id": str(jane.id)},
        token=root.token,
    )
    assert found == {"mfa": None}


async def test_reset_user_mfa_within_reach(app: FastAPI, client: httpx.AsyncClient) -> None:
    ours = await new_tenant(app)
    theirs = await new_tenant(app)
    member = await signed_in(app)
    outsider = await signed_in(app)
    await add_member(app, ours, member.id)
    await add_member(app, theirs, outsider.id)
    await with_totp(app, member)
    await with_totp(app, outsider)
    admin = await tenant_admin(app, ours)
    plain = await signed_in(app)

    denied = await call(client, RESET, plain.token, id=str(member.id))
    assert outcome(denied, "resetUserMfa") == "PERMISSION_DENIED"
    for target in [str(outsider.id), "not-an-id"]:
        hidden = await call(client, RESET, admin.token, id=target)
        assert outcome(hidden, "resetUserMfa") == "RESOURCE_NOT_FOUND"
    assert await unused_codes(app, outsider.id) == 10

    reset = await call(client, RESET, admin.token, id=str(member.id))

    assert reset["data"]["resetUserMfa"] == {"__typename": "MfaDisabled", "userId": str(member.id)}
    assert await unused_codes(app, member.id) == 0


async def test_public_settings_show_mfa(client: httpx.AsyncClient) -> None:
    found = await gql_field(client, "{ publicSettings { mfaEnabled mfaMethods mfaRequiredFor } }")
    assert found == {
        "mfaEnabled": True,
        "mfaMethods": ["totp", "webauthn", "email", "backup_code"],
        "mfaRequiredFor": "none",
    }
