"""Registering security keys and passkeys over REST (seed 003): the round trip, what the
browser must be told (excluded credentials, the relying party), and every way a response can
fail to prove the ceremony: another origin or relying party, a replay, an expired challenge,
another session's challenge, malformed and oversized bodies."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import caller, register, set_setting
from tests.rest.mfa.webauthn_steps import (
    CREDENTIALS,
    LOGIN_BEGIN,
    REGISTER_FINISH,
    begin_registration,
)
from tests.rest.mfa.webauthn_steps import register as register_key
from tests.support.audit import audit_events
from tests.support.authenticator import SoftAuthenticator, b64url
from tests.support.clocks import install_clock
from tests.support.http import bearer

PASSWORD = "correct horse battery staple"


async def _credentials(client: httpx.AsyncClient, token: str) -> list[dict[str, object]]:
    response = await client.get(CREDENTIALS, headers=bearer(token))
    assert response.status_code == 200, response.text
    return list(response.json()["credentials"])


async def test_register_round_trip(app: FastAPI, client: httpx.AsyncClient) -> None:
    user = await caller(app)
    options = await begin_registration(client, user.token)
    assert options["rp"] == {"id": "localhost", "name": "identity"}
    assert options["user"]["id"] == b64url(user.id.bytes)
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    assert options["authenticatorSelection"]["residentKey"] == "preferred"
    assert options["attestation"] == "none"
    assert options["excludeCredentials"] == []
    assert options["expires_in"] == 300

    authenticator = SoftAuthenticator()
    sent, credential = authenticator.create(options)
    response = await client.post(
        REGISTER_FINISH, json={"credential": sent, "name": "Desk key"}, headers=bearer(user.token)
    )
    assert response.status_code == 200, response.text
    stored = response.json()["credential"]
    assert stored["id"] == credential.id
    assert stored["name"] == "Desk key"
    assert stored["transports"] == ["usb", "internal"]
    assert stored["discoverable"] is True
    assert stored["last_used_at"] is None
    assert [one["id"] for one in await _credentials(client, user.token)] == [credential.id]
    events = await audit_events(app, "mfa.webauthn.registered", user=user.id)
    assert [one.resource_id for one in events] == [credential.id]


async def test_begin_excludes_the_registered_credentials(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await caller(app)
    authenticator = SoftAuthenticator()
    first = await register_key(client, user.token, authenticator)
    options = await begin_registration(client, user.token)
    assert [one["id"] for one in options["excludeCredentials"]] == [first.id]
    assert options["excludeCredentials"][0]["transports"] == ["usb", "internal"]


async def test_the_same_authenticator_twice_is_a_conflict(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """A client that ignores excludeCredentials and sends the same credential again."""
    user = await caller(app)
    authenticator = SoftAuthenticator()
    options = await begin_registration(client, user.token)
    sent, _ = authenticator.create(options)
    first = await client.post(
        REGISTER_FINISH, json={"credential": sent}, headers=bearer(user.token)
    )
    assert first.status_code == 200, first.text
    again = await begin_registration(client, user.token)
    replayed = json.loads(json.dumps(sent))
    replayed_sent, _ = SoftAuthenticator().create(again)
    # the new ceremony's client data, the first credential's attestation
    replayed["response"]["clientDataJSON"] = replayed_sent["response"]["clientDataJSON"]
    response = await client.post(
        REGISTER_FINISH, json={"credential": replayed}, headers=bearer(user.token)
    )
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "WEBAUTHN_CREDENTIAL_EXISTS"
    assert len(await _credentials(client, user.token)) == 1


@pytest.mark.parametrize(
    ("bend", "reason"),
    [
        ({"origin": "https://evil.example"}, "verification"),
        ({"rp_id": "evil.example"}, "verification"),
        ({"kind": "webauthn.get"}, "verification"),
    ],
)
async def test_a_response_for_another_origin_or_relying_party_is_refused(
    app: FastAPI, client: httpx.AsyncClient, bend: dict[str, str], reason: str
) -> None:
    user = await caller(app)
    options = await begin_registration(client, user.token)
    sent, _ = SoftAuthenticator().create(options, **bend)  # type: ignore[arg-type]
    response = await client.post(
        REGISTER_FINISH, json={"credential": sent}, headers=bearer(user.token)
    )
    assert response.status_code == 401, response.text
    error = response.json()["error"]
    assert error["code"] == "WEBAUTHN_VERIFICATION_FAILED"
    assert error["details"]["reason"] == reason
    assert await _credentials(client, user.token) == []


async def test_a_challenge_answers_once(app: FastAPI, client: httpx.AsyncClient) -> None:
    """A refused response spends the challenge too: a second try needs a new begin."""
    user = await caller(app)
    options = await begin_registration(client, user.token)
    authenticator = SoftAuthenticator()
    wrong, _ = authenticator.create(options, origin="https://evil.example")
    refused = await client.post(
        REGISTER_FINISH, json={"credential": wrong}, headers=bearer(user.token)
    )
    assert refused.status_code == 401
    right, _ = authenticator.create(options)
    response = await client.post(
        REGISTER_FINISH, json={"credential": right}, headers=bearer(user.token)
    )
    assert response.status_code == 401, response.text
    assert response.json()["error"]["details"]["reason"] == "challenge"


async def test_the_challenge_expires_at_five_minutes(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    clock.freeze()
    user = await caller(app)
    authenticator = SoftAuthenticator()
    alive = await begin_registration(client, user.token)
    dead = await begin_registration(client, user.token)
    clock.advance(seconds=299)
    sent, _ = authenticator.create(alive)
    ok = await client.post(REGISTER_FINISH, json={"credential": sent}, headers=bearer(user.token))
    assert ok.status_code == 200, ok.text
    clock.advance(seconds=1)
    late, _ = authenticator.create(dead)
    response = await client.post(
        REGISTER_FINISH, json={"credential": late}, headers=bearer(user.token)
    )
    assert response.status_code == 401, response.text
    assert response.json()["error"]["details"]["reason"] == "challenge"


async def test_another_sessions_challenge_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await caller(app)
    other = await caller(app)
    options = await begin_registration(client, user.token)
    sent, _ = SoftAuthenticator().create(options)
    response = await client.post(
        REGISTER_FINISH, json={"credential": sent}, headers=bearer(other.token)
    )
    assert response.status_code == 401, response.text
    assert await _credentials(client, other.token) == []


@pytest.mark.parametrize(
    ("credential", "reason"),
    [
        (None, "missing"),
        ("not json", "malformed"),
        ("[1, 2]", "malformed"),
        ({"id": "x"}, "malformed"),
        ({"id": "x", "response": {"clientDataJSON": "!!!"}}, "malformed"),
        ("x" * 20_000, "too_large"),
        ({"id": "x", "response": {"clientDataJSON": "a" * 20_000}}, "too_large"),
    ],
)
async def test_malformed_and_oversized_responses(
    app: FastAPI, client: httpx.AsyncClient, credential: object, reason: str
) -> None:
    user = await caller(app)
    response = await client.post(
        REGISTER_FINISH, json={"credential": credential}, headers=bearer(user.token)
    )
    assert response.status_code == 401, response.text
    error = response.json()["error"]
    assert (error["code"], error["details"]["reason"]) == ("WEBAUTHN_VERIFICATION_FAILED", reason)


async def test_registration_needs_a_signed_in_caller(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/auth/mfa/webauthn/register/begin")
    assert response.status_code == 401
    assert (await client.get(CREDENTIALS)).status_code == 401


async def test_an_enrolment_token_may_register_a_security_key(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """An account that must have MFA enrols with a security key, then logs in with it."""
    await register(client, "enrol@example.com", password=PASSWORD)
    await set_setting(app, client, "mfa_required_for", "all")
    login = {"email": "enrol@example.com", "password": PASSWORD}
    first = (await client.post("/v1/auth/login", json=login)).json()
    assert first["mfa_enrollment_required"] is True, first
    token = first["enrollment_token"]
    assert (await client.get(CREDENTIALS, headers=bearer(token))).status_code == 401
    key = await register_key(client, token, SoftAuthenticator())
    second = (await client.post("/v1/auth/login", json=login)).json()
    assert second["mfa_required"] is True, second
    assert second["methods"][0] == "webauthn"
    begun = await client.post(LOGIN_BEGIN, json={"mfa_token": second["mfa_token"]})
    assert [one["id"] for one in begun.json()["allowCredentials"]] == [key.id]
