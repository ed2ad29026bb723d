"""A security key as the second step of a login (seed 003's ``/v1/auth/login/mfa/webauthn/*``)
and a passkey as the first factor (``/v1/auth/passkey/*``): round trips, replay, another
origin or relying party, the sign counter and the clone it reveals, another user's credential,
expiry at the second, malformed and oversized assertions."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI

from identity.services import after_answer
from tests.factories import caller, login_token, register
from tests.rest.mfa.webauthn_steps import (
    LOGIN_BEGIN,
    LOGIN_FINISH,
    PASSKEY_FINISH,
    passkey_options,
)
from tests.rest.mfa.webauthn_steps import register as register_key
from tests.support.audit import audit_events
from tests.support.authenticator import Credential, SoftAuthenticator
from tests.support.clocks import install_clock

PASSWORD = "correct horse battery staple"


async def _account(
    client: httpx.AsyncClient, email: str, authenticator: SoftAuthenticator
) -> tuple[str, Credential]:
    """An account with a password and a security key; its user id and the key."""
    answer = await register(client, email, password=PASSWORD)
    token = await login_token(client, email, PASSWORD)
    credential = await register_key(client, token, authenticator)
    return str(answer.json()["id"]), credential


async def _pending(client: httpx.AsyncClient, email: str) -> dict[str, Any]:
    response = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    answer = dict(response.json())
    assert answer["mfa_required"] is True, answer
    assert "webauthn" in answer["methods"]
    return answer


async def _begin(client: httpx.AsyncClient, pending: dict[str, Any]) -> httpx.Response:
    return await client.post(
        LOGIN_BEGIN, json={"user_id": pending["user_id"], "mfa_token": pending["mfa_token"]}
    )


async def _finish(
    client: httpx.AsyncClient, pending: dict[str, Any], assertion: object
) -> httpx.Response:
    return await client.post(
        LOGIN_FINISH,
        json={
            "user_id": pending["user_id"],
            "mfa_token": pending["mfa_token"],
            "credential": assertion,
        },
    )


def _amr(answer: dict[str, Any]) -> list[str]:
    claims = jwt.decode(answer["access_token"], options={"verify_signature": False})
    return list(claims.get("amr", []))


async def test_second_step_round_trip(app: FastAPI, client: httpx.AsyncClient) -> None:
    authenticator = SoftAuthenticator()
    user_id, credential = await _account(client, "key@example.com", authenticator)
    pending = await _pending(client, "key@example.com")
    begun = await _begin(client, pending)
    assert begun.status_code == 200, begun.text
    options = begun.json()
    assert [one["id"] for one in options["allowCredentials"]] == [credential.id]
    assert options["rpId"] == "localhost"
    assert options["userVerification"] == "preferred"
    response = await _finish(client, pending, authenticator.get(options))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["user"]["id"] == user_id
    assert {"pwd", "mfa"} <= set(_amr(answer))
    listed = await client.get(
        "/v1/auth/mfa/webauthn/credentials",
        headers={"Authorization": f"Bearer {answer['access_token']}"},
    )
    assert listed.json()["credentials"][0]["sign_count"] == 1
    assert listed.json()["credentials"][0]["last_used_at"] is not None


async def test_a_replayed_assertion_is_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    authenticator = SoftAuthenticator()
    await _account(client, "replay@example.com", authenticator)
    pending = await _pending(client, "replay@example.com")
    options = (await _begin(client, pending)).json()
    assertion = authenticator.get(options)
    assert (await _finish(client, pending, assertion)).status_code == 200
    again = await _finish(client, pending, assertion)
    assert again.status_code == 401, again.text
    assert again.json()["error"]["code"] == "MFA_CODE_INVALID"
    # on a new pending login too: the challenge it signed is not the new one
    second = await _pending(client, "replay@example.com")
    await _begin(client, second)
    replayed = await _finish(client, second, assertion)
    assert replayed.status_code == 401, replayed.text


@pytest.mark.parametrize(
    "bend",
    [
        {"origin": "https://evil.example"},
        {"rp_id": "evil.example"},
        {"kind": "webauthn.create"},
    ],
)
async def test_another_origin_or_relying_party_is_refused(
    app: FastAPI, client: httpx.AsyncClient, bend: dict[str, str]
) -> None:
    authenticator = SoftAuthenticator()
    await _account(client, "bent@example.com", authenticator)
    pending = await _pending(client, "bent@example.com")
    options = (await _begin(client, pending)).json()
    response = await _finish(client, pending, authenticator.get(options, **bend))  # type: ignore[arg-type]
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "MFA_CODE_INVALID"
    assert await audit_events(app, "mfa.webauthn.clone_suspected") == []


async def test_a_sign_counter_that_goes_back_is_a_suspected_clone(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    authenticator = SoftAuthenticator()
    user_id, credential = await _account(client, "clone@example.com", authenticator)
    pending = await _pending(client, "clone@example.com")
    options = (await _begin(client, pending)).json()
    assert (
        await _finish(client, pending, authenticator.get(options, sign_count=7))
    ).status_code == 200

    second = await _pending(client, "clone@example.com")
    options = (await _begin(client, second)).json()
    response = await _finish(client, second, authenticator.get(options, sign_count=7))
    assert response.status_code == 401, response.text
    await after_answer.settle()
    events = await audit_events(app, "mfa.webauthn.clone_suspected")
    assert [(str(one.subject_id), one.resource_id) for one in events] == [(user_id, credential.id)]
    assert events[0].details == {"stored_count": 7, "presented_count": 7}


async def test_authenticators_that_do_not_count_are_accepted(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """A counter of 0 every time (many passkeys) says nothing: not a clone."""
    authenticator = SoftAuthenticator(counting=False)
    await _account(client, "zero@example.com", authenticator)
    for _ in range(2):
        pending = await _pending(client, "zero@example.com")
        options = (await _begin(client, pending)).json()
        assert (await _finish(client, pending, authenticator.get(options))).status_code == 200


async def test_another_users_credential_is_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    mine, theirs = SoftAuthenticator(), SoftAuthenticator()
    await _account(client, "mine@example.com", mine)
    _, their_key = await _account(client, "theirs@example.com", theirs)
    pending = await _pending(client, "mine@example.com")
    options = (await _begin(client, pending)).json()
    response = await _finish(client, pending, theirs.get(options, credential=their_key))
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "MFA_CODE_INVALID"


async def test_begin_without_a_pending_login_answers_as_a_wrong_code(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user_id, _ = await _account(client, "none@example.com", SoftAuthenticator())
    response = await client.post(LOGIN_BEGIN, json={"user_id": user_id})
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "MFA_CODE_INVALID"
    unknown = await client.post(LOGIN_BEGIN, json={"user_id": "not-a-uuid"})
    assert unknown.status_code == 401
    assert unknown.json()["error"]["code"] == "MFA_CODE_INVALID"


@pytest.mark.parametrize(
    ("assertion", "reason"),
    [
        (None, "missing"),
        ("{", "malformed"),
        ({"id": 1, "response": {}}, "malformed"),
        ("x" * 20_000, "too_large"),
    ],
)
async def test_malformed_and_oversized_assertions(
    app: FastAPI, client: httpx.AsyncClient, assertion: object, reason: str
) -> None:
    await _account(client, "junk@example.com", SoftAuthenticator())
    pending = await _pending(client, "junk@example.com")
    response = await _finish(client, pending, assertion)
    assert response.status_code == 401, response.text
    error = response.json()["error"]
    assert (error["code"], error["details"]["reason"]) == ("WEBAUTHN_VERIFICATION_FAILED", reason)


async def test_passkey_login_without_a_password(app: FastAPI, client: httpx.AsyncClient) -> None:
    """An account that has no password at all signs in with its passkey alone."""
    account = await caller(app)
    authenticator = SoftAuthenticator()
    await register_key(client, account.token, authenticator)
    options = await passkey_options(client)
    assert "allowCredentials" not in options or options["allowCredentials"] == []
    assert options["userVerification"] == "required"
    response = await client.post(PASSKEY_FINISH, json={"credential": authenticator.get(options)})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["user"]["id"] == str(account.id)
    assert _amr(answer) == ["hwk", "user", "mfa"]
    events = await audit_events(app, "login.succeeded")
    assert events[-1].details["method"] == "passkey"
    synced = SoftAuthenticator(backed_up=True)
    await register_key(client, account.token, synced)
    options = await passkey_options(client)
    again = await client.post(PASSKEY_FINISH, json={"credential": synced.get(options)})
    assert _amr(again.json()) == ["swk", "user", "mfa"]


async def test_parallel_finishes_complete_once(app: FastAPI, client: httpx.AsyncClient) -> None:
    authenticator = SoftAuthenticator()
    await _account(client, "parallel@example.com", authenticator)
    pending = await _pending(client, "parallel@example.com")
    assertion = authenticator.get((await _begin(client, pending)).json())
    answers = await asyncio.gather(*(_finish(client, pending, assertion) for _ in range(5)))
    assert sorted(one.status_code for one in answers) == [200, 401, 401, 401, 401]


async def test_passkey_needs_user_verification(app: FastAPI, client: httpx.AsyncClient) -> None:
    authenticator = SoftAuthenticator()
    await _account(client, "uv@example.com", authenticator)
    options = await passkey_options(client)
    response = await client.post(
        PASSKEY_FINISH, json={"credential": authenticator.get(options, user_verified=False)}
    )
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "WEBAUTHN_VERIFICATION_FAILED"


async def test_passkey_challenge_is_single_use_and_expires_at_five_minutes(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    clock.freeze()
    authenticator = SoftAuthenticator()
    await _account(client, "once@example.com", authenticator)
    alive, dead = await passkey_options(client), await passkey_options(client)
    clock.advance(seconds=299)
    assertion = authenticator.get(alive)
    assert (await client.post(PASSKEY_FINISH, json={"credential": assertion})).status_code == 200
    replay = await client.post(PASSKEY_FINISH, json={"credential": assertion})
    assert replay.status_code == 401
    assert replay.json()["error"]["details"]["reason"] == "challenge"
    clock.advance(seconds=1)
    late = await client.post(PASSKEY_FINISH, json={"credential": authenticator.get(dead)})
    assert late.status_code == 401
    assert late.json()["error"]["details"]["reason"] == "challenge"


async def test_passkey_user_handle_must_name_the_credentials_user(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    mine, theirs = SoftAuthenticator(), SoftAuthenticator()
    await _account(client, "handle@example.com", mine)
    _, other = await _account(client, "other-handle@example.com", theirs)
    options = await passkey_options(client)
    response = await client.post(
        PASSKEY_FINISH, json={"credential": mine.get(options, user_handle=other.user_handle)}
    )
    assert response.status_code == 401, response.text
    assert response.json()["error"]["details"]["reason"] == "user_handle"


async def test_passkey_clone_is_refused_and_audited(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    authenticator = SoftAuthenticator()
    await _account(client, "pclone@example.com", authenticator)
    options = await passkey_options(client)
    first = authenticator.get(options, sign_count=3)
    assert (await client.post(PASSKEY_FINISH, json={"credential": first})).status_code == 200
    options = await passkey_options(client)
    response = await client.post(
        PASSKEY_FINISH, json={"credential": authenticator.get(options, sign_count=2)}
    )
    assert response.status_code == 401
    assert response.json()["error"]["details"]["reason"] == "sign_count"
    assert len(await audit_events(app, "mfa.webauthn.clone_suspected")) == 1
