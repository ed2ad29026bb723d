"""Listing and removing security keys (seed 003's ``/v1/auth/mfa/webauthn/credentials``):
removal needs recent authentication, another user's credential is not found (and stays)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.factories import caller
from tests.rest.mfa.webauthn_steps import CREDENTIALS, register
from tests.support.audit import audit_events
from tests.support.authenticator import SoftAuthenticator
from tests.support.clocks import install_clock
from tests.support.http import bearer


async def _ids(client: httpx.AsyncClient, token: str) -> list[str]:
    response = await client.get(CREDENTIALS, headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json()["count"] == len(response.json()["credentials"])
    return [one["id"] for one in response.json()["credentials"]]


async def _delete(client: httpx.AsyncClient, token: str, credential_id: str) -> httpx.Response:
    return await client.request(
        "DELETE", CREDENTIALS, json={"credential_id": credential_id}, headers=bearer(token)
    )


async def test_list_and_remove(app: FastAPI, client: httpx.AsyncClient) -> None:
    user = await caller(app)
    first = await register(client, user.token, SoftAuthenticator(), name="Desk")
    second = await register(client, user.token, SoftAuthenticator(), name="Keyring")
    assert await _ids(client, user.token) == [first.id, second.id]
    response = await _delete(client, user.token, first.id)
    assert response.status_code == 200, response.text
    assert await _ids(client, user.token) == [second.id]
    events = await audit_events(app, "mfa.webauthn.removed", user=user.id)
    assert [one.resource_id for one in events] == [first.id]


async def test_another_users_credential_is_not_found(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner, intruder = await caller(app), await caller(app)
    key = await register(client, owner.token, SoftAuthenticator())
    response = await _delete(client, intruder.token, key.id)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "RESOURCE_NOT_FOUND"
    assert await _ids(client, owner.token) == [key.id]
    assert await _ids(client, intruder.token) == []


async def test_removal_needs_recent_authentication(app: FastAPI, client: httpx.AsyncClient) -> None:
    clock = install_clock(app)
    user = await caller(app)
    key = await register(client, user.token, SoftAuthenticator())
    clock.advance(minutes=5)
    response = await _delete(client, user.token, key.id)
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "REAUTHENTICATION_REQUIRED"
    assert await _ids(client, user.token) == [key.id]


async def test_removal_of_unknown_or_oversized_ids(app: FastAPI, client: httpx.AsyncClient) -> None:
    user = await caller(app)
    assert (await _delete(client, user.token, "nope")).status_code == 404
    assert (await _delete(client, user.token, "")).status_code == 404
    oversized = await _delete(client, user.token, "x" * 1401)
    assert oversized.status_code == 422, oversized.text
    anonymous = await client.request("DELETE", CREDENTIALS, json={"credential_id": "x"})
    assert anonymous.status_code == 401
