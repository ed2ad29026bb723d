"""WebAuthn over REST, attacked across ceremonies: an assertion made for one pending login,
for a passkey login or in parallel presented elsewhere; a passkey of an account disabled or
whose MFA was turned off; a credential id another user already registered."""

from __future__ import annotations

import asyncio
import copy
import os
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col

from identity.models import User, UserStatus
from tests.factories import login_token, register
from tests.rest.mfa.webauthn_steps import (
    CREDENTIALS,
    LOGIN_BEGIN,
    LOGIN_FINISH,
    PASSKEY_FINISH,
    REGISTER_FINISH,
    begin_registration,
    passkey_options,
)
from tests.rest.mfa.webauthn_steps import register as register_key
from tests.support.app import runtime
from tests.support.authenticator import Credential, SoftAuthenticator
from tests.support.http import bearer

PASSWORD = "correct horse battery staple"


async def _account(
    client: httpx.AsyncClient, email: str, authenticator: SoftAuthenticator
) -> tuple[str, str, Credential]:
    """An account with a password and a security key: its id, a session token and the key."""
    answer = await register(client, email, password=PASSWORD)
    token = await login_token(client, email, PASSWORD)
    credential = await register_key(client, token, authenticator)
    return str(answer.json()["id"]), token, credential


async def _pending(client: httpx.AsyncClient, email: str) -> dict[str, Any]:
    response = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    answer = dict(response.json())
    assert answer["mfa_required"] is True, answer
    return answer


async def _begin(client: httpx.AsyncClient, pending: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(LOGIN_BEGIN, json={"mfa_token": pending["mfa_token"]})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _finish(
    client: httpx.AsyncClient, pending: dict[str, Any], assertion: object
) -> httpx.Response:
    return await client.post(
        LOGIN_FINISH, json={"mfa_token": pending["mfa_token"], "credential": assertion}
    )


async def test_an_assertion_for_one_pending_login_does_not_complete_another(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    key = SoftAuthenticator()
    await _account(client, "cross@example.com", key)
    first, second = (
        await _pending(client, "cross@example.com"),
        await _pending(client, "cross@example.com"),
    )
    first_options = await _begin(client, first)
    await _begin(client, second)
    crossed = await _finish(client, second, key.get(first_options))
    assert crossed.status_code == 401, crossed.text
    assert "access_token" not in crossed.json()


async def test_assertions_do_not_cross_between_passkey_and_second_step(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    key = SoftAuthenticator()
    await _account(client, "ceremony@example.com", key)
    pending = await _pending(client, "ceremony@example.com")
    second_step = await _begin(client, pending)
    as_passkey = await client.post(PASSKEY_FINISH, json={"credential": key.get(second_step)})
    assert as_passkey.status_code == 401, as_passkey.text
    passkey = await passkey_options(client)
    as_second = await _finish(client, pending, key.get(passkey))
    assert as_second.status_code == 401, as_second.text


async def test_one_assertion_in_parallel_completes_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    key = SoftAuthenticator()
    await _account(client, "parallel-key@example.com", key)
    pending = await _pending(client, "parallel-key@example.com")
    assertion = key.get(await _begin(client, pending))
    responses = await asyncio.gather(
        *(_finish(client, pending, copy.deepcopy(assertion)) for _ in range(5))
    )
    assert sorted(one.status_code for one in responses) == [200, 401, 401, 401, 401], [
        one.text for one in responses
    ]


async def test_a_passkey_of_a_disabled_account_opens_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    key = SoftAuthenticator()
    user_id, _, _ = await _account(client, "disabled-key@example.com", key)
    async with runtime(app).database.unit_of_work() as session:
        await session.execute(
            update(User)
            .where(col(User.id) == uuid.UUID(user_id))
            .values(status=UserStatus.INACTIVE)
        )
    options = await passkey_options(client)
    response = await client.post(PASSKEY_FINISH, json={"credential": key.get(options)})
    assert response.status_code in (401, 403), response.text
    assert "access_token" not in response.json()


async def test_a_passkey_dies_with_mfa_turned_off(app: FastAPI, client: httpx.AsyncClient) -> None:
    key = SoftAuthenticator()
    _, _, _ = await _account(client, "off-key@example.com", key)
    options = await passkey_options(client)
    signed_in = await client.post(PASSKEY_FINISH, json={"credential": key.get(options)})
    assert signed_in.status_code == 200, signed_in.text
    token = signed_in.json()["access_token"]
    off = await client.post("/v1/auth/mfa/disable", json={}, headers=bearer(token))
    assert off.status_code == 200, off.text
    options = await passkey_options(client)
    again = await client.post(PASSKEY_FINISH, json={"credential": key.get(options)})
    assert again.status_code == 401, again.text
    listed = await client.get(CREDENTIALS, headers=bearer(token))
    assert listed.status_code == 200
    assert listed.json()["credentials"] == []


async def test_a_credential_id_of_another_user_cannot_be_registered(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim_key = SoftAuthenticator()
    _, _, victims = await _account(client, "victim-key@example.com", victim_key)
    _, mallory_token, _ = await _account(client, "mallory-key@example.com", SoftAuthenticator())
    options = await begin_registration(client, mallory_token)
    # mallory's own authenticator, made to claim the victim's credential id
    monkeypatch.setattr(os, "urandom", lambda _: victims.credential_id)
    sent, _ = SoftAuthenticator().create(options)
    monkeypatch.undo()
    assert sent["id"] == victims.id
    response = await client.post(
        REGISTER_FINISH, json={"credential": sent}, headers=bearer(mallory_token)
    )
    assert response.status_code in (400, 401, 409, 422), response.text
    # the victim's key still signs the victim in
    pending = await _pending(client, "victim-key@example.com")
    done = await _finish(client, pending, victim_key.get(await _begin(client, pending)))
    assert done.status_code == 200, done.text
    assert done.json()["user"]["email"] == "victim-key@example.com"
