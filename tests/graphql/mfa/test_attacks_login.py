"""The login step over GraphQL, attacked: parallel guesses and completions, replayed codes,
another user's pending login, enumeration by answer, the enrolment and pending-login tokens
used as bearers, and malformed input (never an unexpected error)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import ACCOUNT_PASSWORD, add_user, set_setting
from tests.support.app import runtime
from tests.support.clocks import install_clock
from tests.support.graphql import gql, gql_field, outcome
from tests.support.mfa_login import challenges, mfa_user, steady

LOGIN = """
mutation($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on MfaRequired { mfaToken userId methods preferred }
    ... on MfaEnrollmentRequired { enrollmentToken }
    ... on AuthPayload { accessToken refreshToken }
    ... on Error { code message }
  }
}
"""
COMPLETE = """
mutation($input: CompleteMfaLoginInput!) {
  completeMfaLogin(input: $input) {
    __typename
    ... on AuthPayload { accessToken refreshToken user { id } }
    ... on Error { code message field }
  }
}
"""
REFUSALS = {"TOKEN_INVALID", "AUTHENTICATION_REQUIRED", "UNAUTHENTICATED", "PERMISSION_DENIED"}


async def _login(client: httpx.AsyncClient, email: str, password: str = ACCOUNT_PASSWORD) -> Any:
    return await gql_field(client, LOGIN, {"input": {"identifier": email, "password": password}})


async def _complete(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    return await gql(client, COMPLETE, {"input": fields})


def _no_crash(body: dict[str, Any], *, coded: bool = True) -> None:
    """Every error is a refusal (with a stable code when ``coded``), never a masked crash;
    variables of the wrong type are refused by GraphQL itself, without a code."""
    for error in body.get("errors") or []:
        assert "Unexpected error" not in error["message"], body
        assert not coded or (error.get("extensions") or {}).get("code"), body


def _result(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]["completeMfaLogin"]
    return found


async def test_a_wrong_password_answers_alike_with_or_without_mfa(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app)
    with_mfa = await _login(client, user.email, "Wrong-Pass-1!")
    unknown = await _login(client, f"nobody-{uuid.uuid4().hex[:6]}@example.com", "Wrong-Pass-1!")
    assert with_mfa == unknown
    assert with_mfa["__typename"] != "MfaRequired"
    assert await challenges(app, user.id) == []


async def test_twenty_parallel_wrong_codes_check_at_most_five(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    user = await mfa_user(app)
    moment = steady(clock)
    step = await _login(client, user.email)
    right = user.code(moment)
    wrong = f"{(int(right) + 7) % 1_000_000:06d}"
    bodies = await asyncio.gather(
        *(
            _complete(client, mfaToken=step["mfaToken"], method="totp", code=wrong)
            for _ in range(20)
        )
    )
    for body in bodies:
        assert outcome(body, "completeMfaLogin") in ("MFA_CODE_INVALID", "RATE_LIMITED"), body
    [row] = await challenges(app, user.id)
    assert (row.failures, row.used_at) == (5, None)
    late = await _complete(client, mfaToken=step["mfaToken"], method="totp", code=right)
    assert outcome(late, "completeMfaLogin") in ("MFA_CODE_INVALID", "RATE_LIMITED"), late


async def test_one_pending_login_completes_once_in_parallel(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app)
    step = await _login(client, user.email)
    bodies = await asyncio.gather(
        *(
            _complete(client, mfaToken=step["mfaToken"], method="backup_code", code=code)
            for code in user.backup_codes[:4]
        )
    )
    kinds = sorted(outcome(body, "completeMfaLogin") for body in bodies)
    assert kinds == ["AuthPayload", "MFA_CODE_INVALID", "MFA_CODE_INVALID", "MFA_CODE_INVALID"]


async def test_a_totp_code_is_accepted_once_across_logins(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    user = await mfa_user(app)
    moment = steady(clock)
    code = user.code(moment)
    first = await _login(client, user.email)
    done = _result(await _complete(client, mfaToken=first["mfaToken"], method="totp", code=code))
    assert done["__typename"] == "AuthPayload", done
    second = await _login(client, user.email)
    replay = _result(await _complete(client, mfaToken=second["mfaToken"], method="totp", code=code))
    assert replay["code"] == "MFA_CODE_INVALID"
    used = _result(await _complete(client, mfaToken=first["mfaToken"], method="totp", code=code))
    assert used["code"] == "MFA_CODE_INVALID"


async def test_another_users_pending_login_is_not_completed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    alice, mallory = await mfa_user(app), await mfa_user(app)
    moment = steady(clock)
    alices = await _login(client, alice.email)
    mallorys = await _login(client, mallory.email)
    for fields in (
        {"mfaToken": alices["mfaToken"], "userId": mallorys["userId"]},
        {"mfaToken": mallorys["mfaToken"], "userId": alices["userId"]},
    ):
        for code in (mallory.code(moment), alice.code(moment)):
            body = _result(await _complete(client, method="totp", code=code, **fields))
            assert body["code"] == "MFA_CODE_INVALID", body
    [row] = await challenges(app, alice.id)
    assert row.used_at is None
    # alice's own code still completes alice's login: nothing was spent by the attempts
    mine = _result(
        await _complete(client, mfaToken=alices["mfaToken"], method="totp", code=alice.code(moment))
    )
    assert mine["__typename"] == "AuthPayload"
    assert mine["user"]["id"] == str(alice.id)


async def test_the_enrolment_and_pending_tokens_are_no_bearers(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app)
    pending = (await _login(client, user.email))["mfaToken"]
    await set_setting(app, client, "mfa_required_for", "all")
    email = f"enrol-{uuid.uuid4().hex[:8]}@example.com"
    await add_user(
        app,
        email,
        password_hash=await runtime(app).deps.hasher.hash(ACCOUNT_PASSWORD),
        email_verified=True,
    )
    enrolment = (await _login(client, email))["enrollmentToken"]
    documents = {
        "disableMfa": 'mutation { disableMfa(password: "x") { __typename ... on Error { code } } }',
        "regenerateBackupCodes": (
            'mutation { regenerateBackupCodes(password: "x") { __typename ... on Error { code } } }'
        ),
        "reauthenticate": (
            'mutation { reauthenticate(password: "x") { __typename ... on Error { code } } }'
        ),
        "trustDevice": "mutation { trustDevice { __typename ... on Error { code } } }",
        "beginWebauthnRegistration": (
            "mutation { beginWebauthnRegistration { __typename ... on Error { code } } }"
        ),
        "setPreferredMfaMethod": (
            'mutation { setPreferredMfaMethod(method: "totp") '
            "{ __typename ... on Error { code } } }"
        ),
    }
    for token in (enrolment, pending):
        for field, document in documents.items():
            if token == enrolment and field == "beginWebauthnRegistration":
                continue  # an enrolment token may set up a security key
            body = await gql(client, document, token=token)
            assert outcome(body, field) in REFUSALS, (field, body)
        me = await gql(client, "{ me { id mfa { enabled } } }", token=token)
        assert me.get("errors") or me["data"]["me"] is None, me


BAD_INPUTS: list[dict[str, Any]] = [
    {"method": "totp", "code": "9" * 100_000},
    {"method": "totp", "code": "\uff11\uff12\uff13\uff14\uff15\uff16"},
    {"method": "totp", "code": "123\x00456"},
    {"method": "totp", "code": ""},
    {"method": "backup_code", "code": "\u202e" * 20},
    {"method": "email", "code": "-" * 64},
    {"method": "x" * 10_000, "code": "123456"},
    {"method": "webauthn", "code": "123456"},
    {"method": "webauthn", "assertion": "{" * 5_000},
    {"method": "webauthn", "assertion": "[]"},
    {"method": "totp", "code": "123456", "userId": "x" * 10_000},
    {"method": "totp", "code": "123456", "mfaToken": "mfa_" + "a" * 10_000},
]


@pytest.mark.parametrize("fields", BAD_INPUTS, ids=range(len(BAD_INPUTS)))
async def test_malformed_completions_are_answered_never_unexpected(
    app: FastAPI, client: httpx.AsyncClient, fields: dict[str, Any]
) -> None:
    user = await mfa_user(app)
    step = await _login(client, user.email)
    fields = {"mfaToken": step["mfaToken"], **fields}
    response = await client.post(
        "/graphql", json={"query": COMPLETE, "variables": {"input": fields}}
    )
    assert response.status_code in (200, 400, 413), response.text
    if response.status_code == 200:
        body = response.json()
        _no_crash(body)
        kind = outcome(body, "completeMfaLogin")
        assert kind != "AuthPayload", body
    [row] = await challenges(app, user.id)
    assert row.used_at is None


@pytest.mark.parametrize(
    "variables",
    [
        {"input": {"mfaToken": "mfa_x", "method": "totp", "code": 123456}},
        {"input": {"mfaToken": ["mfa_x"], "method": "totp", "code": "123456"}},
        {"input": {"mfaToken": None, "method": None, "code": None}},
        {"input": "completeMfaLogin"},
        {"input": None},
    ],
)
async def test_wrong_json_types_are_validation_errors(
    client: httpx.AsyncClient, variables: dict[str, Any]
) -> None:
    response = await client.post("/graphql", json={"query": COMPLETE, "variables": variables})
    assert response.status_code in (200, 400), response.text
    body = response.json()
    if body.get("data") and body["data"].get("completeMfaLogin"):
        assert body["data"]["completeMfaLogin"]["__typename"] != "AuthPayload"
    else:
        assert body.get("errors"), body
        _no_crash(body, coded=False)
