"""Red team: a session whose last proof is old (a stolen access or refresh token) cannot add a
factor that signs in on its own — a passkey (then a first factor) or a trusted device (then
the password alone signs in). Both need recent authentication (403
REAUTHENTICATION_REQUIRED), as removing a factor does; a login just completed with a second
factor is recent.
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.factories import register
from tests.rest.mfa.webauthn_steps import (
    CREDENTIALS,
    LOGIN_BEGIN,
    LOGIN_FINISH,
    REGISTER_BEGIN,
    REGISTER_FINISH,
    begin_registration,
)
from tests.rest.mfa.webauthn_steps import register as register_key
from tests.support.authenticator import SoftAuthenticator
from tests.support.clocks import install_clock
from tests.support.http import bearer

PASSWORD = "correct horse battery staple"
TRUST = "/v1/auth/mfa/trust-device"


def _reauthentication_required(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "REAUTHENTICATION_REQUIRED"


async def test_an_old_session_cannot_add_a_passkey(app: FastAPI, client: httpx.AsyncClient) -> None:
    clock = install_clock(app)
    email = "stale-passkey@example.com"
    await register(client, email, password=PASSWORD)
    login = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    refresh_token = login.json()["refresh_token"]
    clock.advance(minutes=6)
    # the thief holds the refresh token only
    stolen = await client.post("/v1/auth/refresh", json={"refresh_token": refresh_token})
    assert stolen.status_code == 200, stolen.text
    token = stolen.json()["access_token"]
    _reauthentication_required(await client.post(REGISTER_BEGIN, headers=bearer(token)))
    # after re-authenticating, the user may
    again = await client.post(
        "/v1/auth/reauthenticate", json={"password": PASSWORD}, headers=bearer(token)
    )
    assert again.status_code == 200, again.text
    await register_key(client, token, SoftAuthenticator())


async def test_a_session_gone_stale_between_begin_and_finish_stores_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    email = "stale-finish@example.com"
    await register(client, email, password=PASSWORD)
    login = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    token = login.json()["access_token"]
    clock.advance(minutes=4)
    sent, _ = SoftAuthenticator().create(await begin_registration(client, token))
    clock.advance(minutes=1)
    finished = await client.post(REGISTER_FINISH, json={"credential": sent}, headers=bearer(token))
    _reauthentication_required(finished)
    listed = await client.get(CREDENTIALS, headers=bearer(token))
    assert listed.json()["count"] == 0


async def test_trusting_a_device_needs_a_recent_login_and_a_fresh_mfa_login_is_one(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    email = "stale-trust@example.com"
    key = SoftAuthenticator()
    await register(client, email, password=PASSWORD)
    login = {"email": email, "password": PASSWORD}
    first = (await client.post("/v1/auth/login", json=login)).json()
    await register_key(client, first["access_token"], key)
    pending = (await client.post("/v1/auth/login", json=login)).json()
    assert pending["mfa_required"] is True
    # the password was proved 4 minutes before the second factor: the session opens with
    # the second factor, so it is recent from then on
    clock.advance(minutes=4)
    options = await client.post(LOGIN_BEGIN, json={"mfa_token": pending["mfa_token"]})
    done = await client.post(
        LOGIN_FINISH,
        json={"mfa_token": pending["mfa_token"], "credential": key.get(options.json())},
    )
    assert done.status_code == 200, done.text
    token = done.json()["access_token"]
    clock.advance(minutes=4)
    trusted = await client.post(TRUST, headers=bearer(token))
    assert trusted.status_code == 200, trusted.text
    clock.advance(minutes=1)
    _reauthentication_required(await client.post(TRUST, headers=bearer(token)))
    revoked = await client.post("/v1/auth/mfa/revoke-trust", headers=bearer(token))
    assert revoked.json()["revoked"] == 1, "revoking needs no recent proof"
