"""WebAuthn over GraphQL: register a key and see it, the login's second step
(beginWebauthnLogin + completeMfaLogin), a passkey without a password, removal behind recent
authentication, and the refusals as union members."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import caller, login_token, register
from tests.support.authenticator import Credential, SoftAuthenticator
from tests.support.clocks import install_clock
from tests.support.graphql import gql, gql_data

PASSWORD = "correct horse battery staple"

BEGIN_REGISTRATION = """
mutation { beginWebauthnRegistration {
  __typename
  ... on WebauthnOptions { options challenge expiresIn }
  ... on Error { code }
} }
"""
FINISH_REGISTRATION = """
mutation Finish($input: FinishWebauthnRegistrationInput!) {
  finishWebauthnRegistration(input: $input) {
    __typename
    ... on WebauthnCredentialPayload {
      credential { id name transports discoverable backedUp createdAt lastUsedAt }
    }
    ... on Error { code field }
  }
}
"""
DELETE = """
mutation Delete($input: DeleteWebauthnCredentialInput!) {
  deleteWebauthnCredential(input: $input) {
    __typename
    ... on WebauthnCredentialDeleted { id }
    ... on Error { code }
  }
}
"""
LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on MfaRequired { mfaToken methods userId }
    ... on Error { code }
  }
}
"""
BEGIN_LOGIN = """
mutation Begin($input: BeginWebauthnLoginInput!) {
  beginWebauthnLogin(input: $input) {
    __typename
    ... on WebauthnOptions { options }
    ... on Error { code }
  }
}
"""
COMPLETE = """
mutation Complete($input: CompleteMfaLoginInput!) {
  completeMfaLogin(input: $input) {
    __typename
    ... on AuthPayload { accessToken user { email } }
    ... on Error { code }
  }
}
"""
BEGIN_PASSKEY = """
mutation { beginPasskeyLogin {
  __typename
  ... on WebauthnOptions { options expiresIn }
} }
"""
FINISH_PASSKEY = """
mutation Finish($input: FinishPasskeyLoginInput!) {
  finishPasskeyLogin(input: $input) {
    __typename
    ... on AuthPayload { accessToken refreshToken user { email } }
    ... on Error { code }
  }
}
"""


async def _register_key(
    client: httpx.AsyncClient, token: str, authenticator: SoftAuthenticator
) -> tuple[Credential, dict[str, Any]]:
    begun = (await gql_data(client, BEGIN_REGISTRATION, token=token))["beginWebauthnRegistration"]
    assert begun["__typename"] == "WebauthnOptions", begun
    assert begun["expiresIn"] == 300
    sent, credential = authenticator.create(begun["options"])
    finished = await gql_data(
        client,
        FINISH_REGISTRATION,
        {"input": {"credential": json.dumps(sent), "name": "Phone"}},
        token=token,
    )
    return credential, finished["finishWebauthnRegistration"]


async def _account(
    client: httpx.AsyncClient, email: str, authenticator: SoftAuthenticator
) -> Credential:
    await register(client, email, password=PASSWORD)
    token = await login_token(client, email, PASSWORD)
    credential, _ = await _register_key(client, token, authenticator)
    return credential


async def test_register_and_remove(app: FastAPI, client: httpx.AsyncClient) -> None:
    clock = install_clock(app)
    user = await caller(app)
    credential, payload = await _register_key(client, user.token, SoftAuthenticator())
    assert payload["__typename"] == "WebauthnCredentialPayload", payload
    assert payload["credential"]["id"] == credential.id
    assert payload["credential"]["name"] == "Phone"
    assert payload["credential"]["discoverable"] is True

    clock.advance(minutes=5)
    stale = await gql_data(
        client, DELETE, {"input": {"credentialId": credential.id}}, token=user.token
    )
    assert stale["deleteWebauthnCredential"] == {
        "__typename": "PermissionDenied",
        "code": "REAUTHENTICATION_REQUIRED",
    }
    fresh = await caller(app)
    other = await gql_data(
        client, DELETE, {"input": {"credentialId": credential.id}}, token=fresh.token
    )
    assert other["deleteWebauthnCredential"]["code"] == "RESOURCE_NOT_FOUND"


async def test_remove_within_recent_authentication(app: FastAPI, client: httpx.AsyncClient) -> None:
    user = await caller(app)
    credential, _ = await _register_key(client, user.token, SoftAuthenticator())
    removed = await gql_data(
        client, DELETE, {"input": {"credentialId": credential.id}}, token=user.token
    )
    assert removed["deleteWebauthnCredential"] == {
        "__typename": "WebauthnCredentialDeleted",
        "id": credential.id,
    }
    again = await gql_data(
        client, DELETE, {"input": {"credentialId": credential.id}}, token=user.token
    )
    assert again["deleteWebauthnCredential"]["__typename"] == "NotFound"


async def test_a_refused_registration_is_data(app: FastAPI, client: httpx.AsyncClient) -> None:
    user = await caller(app)
    answer = await gql_data(
        client, FINISH_REGISTRATION, {"input": {"credential": "{"}}, token=user.token
    )
    assert answer["finishWebauthnRegistration"] == {
        "__typename": "InvalidCredentials",
        "code": "WEBAUTHN_VERIFICATION_FAILED",
        "field": "credential",
    }
    anonymous = await gql(client, BEGIN_REGISTRATION)
    assert anonymous["errors"][0]["extensions"]["code"] == "AUTHENTICATION_REQUIRED"


async def test_second_step_with_a_security_key(app: FastAPI, client: httpx.AsyncClient) -> None:
    authenticator = SoftAuthenticator()
    await _account(client, "gql-key@example.com", authenticator)
    pending = (
        await gql_data(
            client,
            LOGIN,
            {"input": {"identifier": "gql-key@example.com", "password": PASSWORD}},
        )
    )["login"]
    assert pending["__typename"] == "MfaRequired", pending
    assert "webauthn" in pending["methods"]
    begun = await gql_data(client, BEGIN_LOGIN, {"input": {"mfaToken": pending["mfaToken"]}})
    options = begun["beginWebauthnLogin"]["options"]
    assertion = json.dumps(authenticator.get(options))
    done = await gql_data(
        client,
        COMPLETE,
        {"input": {"mfaToken": pending["mfaToken"], "method": "webauthn", "assertion": assertion}},
    )
    assert done["completeMfaLogin"]["__typename"] == "AuthPayload", done
    assert done["completeMfaLogin"]["user"]["email"] == "gql-key@example.com"
    replay = await gql_data(
        client,
        COMPLETE,
        {"input": {"mfaToken": pending["mfaToken"], "method": "webauthn", "assertion": assertion}},
    )
    assert replay["completeMfaLogin"]["code"] == "MFA_CODE_INVALID"


async def test_begin_webauthn_login_without_a_pending_login(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    answer = await gql_data(client, BEGIN_LOGIN, {"input": {"mfaToken": "mfa_nothing"}})
    assert answer["beginWebauthnLogin"] == {
        "__typename": "InvalidCredentials",
        "code": "MFA_CODE_INVALID",
    }


async def test_begin_webauthn_login_by_user_id_alone_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    authenticator = SoftAuthenticator()
    await _account(client, "gql-begin-id@example.com", authenticator)
    login = {"input": {"identifier": "gql-begin-id@example.com", "password": PASSWORD}}
    pending = (await gql_data(client, LOGIN, login))["login"]
    begun = await gql_data(client, BEGIN_LOGIN, {"input": {"mfaToken": pending["mfaToken"]}})
    options = begun["beginWebauthnLogin"]["options"]
    stranger = await gql_data(client, BEGIN_LOGIN, {"input": {"userId": pending["userId"]}})
    assert stranger["beginWebauthnLogin"] == {
        "__typename": "InvalidCredentials",
        "code": "MFA_CODE_INVALID",
    }
    assertion = json.dumps(authenticator.get(options))
    done = await gql_data(
        client,
        COMPLETE,
        {"input": {"mfaToken": pending["mfaToken"], "method": "webauthn", "assertion": assertion}},
    )
    assert done["completeMfaLogin"]["__typename"] == "AuthPayload", done


async def test_passkey_login(app: FastAPI, client: httpx.AsyncClient) -> None:
    clock = install_clock(app)
    authenticator = SoftAuthenticator()
    await _account(client, "gql-passkey@example.com", authenticator)
    begun = (await gql_data(client, BEGIN_PASSKEY))["beginPasskeyLogin"]
    assert begun["options"]["userVerification"] == "required"
    assertion = json.dumps(authenticator.get(begun["options"]))
    done = await gql_data(client, FINISH_PASSKEY, {"input": {"assertion": assertion}})
    assert done["finishPasskeyLogin"]["__typename"] == "AuthPayload", done
    assert done["finishPasskeyLogin"]["user"]["email"] == "gql-passkey@example.com"
    replay = await gql_data(client, FINISH_PASSKEY, {"input": {"assertion": assertion}})
    assert replay["finishPasskeyLogin"]["code"] == "WEBAUTHN_VERIFICATION_FAILED"
    late = (await gql_data(client, BEGIN_PASSKEY))["beginPasskeyLogin"]
    clock.advance(seconds=timedelta(minutes=5).total_seconds())
    expired = await gql_data(
        client,
        FINISH_PASSKEY,
        {"input": {"assertion": json.dumps(authenticator.get(late["options"]))}},
    )
    assert expired["finishPasskeyLogin"]["code"] == "WEBAUTHN_VERIFICATION_FAILED"


async def test_finish_passkey_login_is_a_credential_field(client: httpx.AsyncClient) -> None:
    document = """
    mutation { a: finishPasskeyLogin(input: {assertion: "{}"}) { __typename }
               b: finishPasskeyLogin(input: {assertion: "{}"}) { __typename } }
    """
    answer = await gql(client, document)
    assert answer["errors"], answer


async def test_registration_needs_recent_authentication(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    await register(client, "gql-stale@example.com", password=PASSWORD)
    token = await login_token(client, "gql-stale@example.com", PASSWORD)
    clock.advance(minutes=4)
    begun = (await gql_data(client, BEGIN_REGISTRATION, token=token))["beginWebauthnRegistration"]
    sent, _ = SoftAuthenticator().create(begun["options"])
    clock.advance(minutes=1)
    again = (await gql_data(client, BEGIN_REGISTRATION, token=token))["beginWebauthnRegistration"]
    assert again == {"__typename": "PermissionDenied", "code": "REAUTHENTICATION_REQUIRED"}
    finished = await gql_data(
        client, FINISH_REGISTRATION, {"input": {"credential": json.dumps(sent)}}, token=token
    )
    assert finished["finishWebauthnRegistration"]["code"] == "REAUTHENTICATION_REQUIRED"
