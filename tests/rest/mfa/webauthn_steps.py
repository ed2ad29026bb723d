"""Steps the WebAuthn REST tests share: register an authenticator, log in with it."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.authenticator import Credential, SoftAuthenticator
from tests.support.http import bearer

REGISTER_BEGIN = "/v1/auth/mfa/webauthn/register/begin"
REGISTER_FINISH = "/v1/auth/mfa/webauthn/register/finish"
CREDENTIALS = "/v1/auth/mfa/webauthn/credentials"
LOGIN_BEGIN = "/v1/auth/login/mfa/webauthn/begin"
LOGIN_FINISH = "/v1/auth/login/mfa/webauthn/finish"
PASSKEY_BEGIN = "/v1/auth/passkey/begin"
PASSKEY_FINISH = "/v1/auth/passkey/finish"


async def begin_registration(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    response = await client.post(REGISTER_BEGIN, headers=bearer(token))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def register(
    client: httpx.AsyncClient,
    token: str,
    authenticator: SoftAuthenticator,
    *,
    name: str | None = None,
) -> Credential:
    """A security key registered to the token's account, through both routes."""
    options = await begin_registration(client, token)
    sent, credential = authenticator.create(options)
    body: dict[str, Any] = {"credential": sent}
    if name is not None:
        body["name"] = name
    response = await client.post(REGISTER_FINISH, json=body, headers=bearer(token))
    assert response.status_code == 200, response.text
    return credential


async def passkey_options(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post(PASSKEY_BEGIN)
    assert response.status_code == 200, response.text
    return dict(response.json())
