"""The login step over GraphQL: ``login`` answers MfaRequired (no tokens) for an account with
MFA, MfaEnrollmentRequired for one that must enrol; ``completeMfaLogin`` answers what login
would have (AuthPayload, cookie mode included); ``sendEmailMfaCode``, ``enableEmailMfa``."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from identity.web.cookies import REFRESH_COOKIE
from tests.factories import ACCOUNT_PASSWORD, set_setting
from tests.support.clocks import install_clock
from tests.support.graphql import gql, gql_field
from tests.support.jwt import jwt_parts
from tests.support.mfa_factors import signed_in
from tests.support.mfa_login import challenges, mfa_user, steady

LOGIN = """
mutation($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on MfaRequired { mfaToken userId methods preferred expiresIn }
    ... on MfaEnrollmentRequired { enrollmentToken userId expiresIn }
    ... on AuthPayload { accessToken refreshToken csrfToken }
    ... on Error { code message }
  }
}
"""
COMPLETE = """
mutation($input: CompleteMfaLoginInput!) {
  completeMfaLogin(input: $input) {
    __typename
    ... on AuthPayload { accessToken refreshToken csrfToken user { id } }
    ... on Error { code message field }
  }
}
"""
SEND = """
mutation($input: PendingLoginInput!) {
  sendEmailMfaCode(input: $input) {
    __typename
    ... on EmailMfaCodeSent { expiresIn }
    ... on Error { code }
  }
}
"""
ENABLE_EMAIL = """
mutation { enableEmailMfa { __typename ... on EmailMfaChanged { enabled } ... on Error { code } } }
"""


async def _login(client: httpx.AsyncClient, email: str, **extra: Any) -> dict[str, Any]:
    variables = {"input": {"identifier": email, "password": ACCOUNT_PASSWORD, **extra}}
    return await gql_field(client, LOGIN, variables)


async def test_login_answers_mfa_required_and_completion_the_tokens(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    user = await mfa_user(app)
    moment = steady(clock)
    step = await _login(client, user.email)
    assert step["__typename"] == "MfaRequired"
    assert step["userId"] == str(user.id)
    assert step["methods"] == ["totp", "backup_code"]
    assert step["preferred"] == "totp"
    assert step["expiresIn"] == 300
    wrong = await gql_field(
        client,
        COMPLETE,
        {"input": {"mfaToken": step["mfaToken"], "method": "totp", "code": "000000"}},
    )
    assert (wrong["__typename"], wrong["code"]) == ("InvalidCredentials", "MFA_CODE_INVALID")
    payload = await gql_field(
        client,
        COMPLETE,
        {"input": {"mfaToken": step["mfaToken"], "method": "totp", "code": user.code(moment)}},
    )
    assert payload["__typename"] == "AuthPayload", payload
    assert payload["user"]["id"] == str(user.id)
    assert payload["refreshToken"].startswith("rt_")
    assert jwt_parts(payload["accessToken"])[1]["amr"] == ["pwd", "otp", "mfa"]
    [row] = await challenges(app, user.id)
    assert row.used_at is not None
    assert row.failures == 1


async def test_cookie_mode_is_kept_for_the_completion(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app)
    step = await _login(client, user.email, useCookie=True)
    response = await client.post(
        "/graphql",
        json={
            "query": COMPLETE,
            "variables": {
                "input": {
                    "userId": step["userId"],
                    "method": "backup_code",
                    "code": user.backup_codes[3],
                }
            },
        },
    )
    payload = response.json()["data"]["completeMfaLogin"]
    assert payload["__typename"] == "AuthPayload", payload
    assert payload["refreshToken"] is None
    assert payload["csrfToken"]
    [cookie] = [one for one in response.headers.get_list("set-cookie") if REFRESH_COOKIE in one]
    assert "Path=/graphql" in cookie


async def test_completion_needs_a_pending_login_and_a_known_method(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app)
    nobody = await gql_field(
        client, COMPLETE, {"input": {"userId": str(user.id), "method": "totp", "code": "123456"}}
    )
    assert nobody["code"] == "MFA_CODE_INVALID"
    unknown = await gql_field(
        client, COMPLETE, {"input": {"userId": str(user.id), "method": "sms", "code": "123456"}}
    )
    assert (unknown["__typename"], unknown["field"]) == ("ValidationError", "method")
    twice = await gql(
        client,
        'mutation { a: completeMfaLogin(input: {mfaToken: "x", method: "totp", code: "1"})'
        ' { __typename } b: completeMfaLogin(input: {mfaToken: "y", method: "totp", '
        'code: "2"}) { __typename } }',
    )
    assert twice.get("errors"), twice


async def test_email_codes_over_graphql(app: FastAPI, client: httpx.AsyncClient) -> None:
    account = await signed_in(app, email_verified=True)
    enabled = await gql_field(client, ENABLE_EMAIL, token=account.token)
    assert enabled == {"__typename": "EmailMfaChanged", "enabled": True}
    step = await _login(client, account.principal.email)
    assert step["methods"] == ["email"]
    sent = await gql_field(client, SEND, {"input": {"mfaToken": step["mfaToken"]}})
    assert sent == {"__typename": "EmailMfaCodeSent", "expiresIn": 600}
    refused = await gql_field(client, SEND, {"input": {"mfaToken": "mfa_nothing"}})
    assert refused == {"__typename": "InvalidCredentials", "code": "MFA_CODE_INVALID"}


async def test_an_account_that_must_enrol_gets_an_enrolment_token(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await set_setting(app, client, "mfa_required_for", "all")
    account = await signed_in(app, email_verified=True)
    step = await _login(client, account.principal.email)
    assert step["__typename"] == "MfaEnrollmentRequired", step
    token = step["enrollmentToken"]
    me = await gql(client, "{ me { id } }", token=token)
    assert me.get("errors") or me["data"]["me"] is None
    enabled = await gql_field(client, ENABLE_EMAIL, token=token)
    assert enabled == {"__typename": "EmailMfaChanged", "enabled": True}
    again = await _login(client, account.principal.email)
    assert again["__typename"] == "MfaRequired"
