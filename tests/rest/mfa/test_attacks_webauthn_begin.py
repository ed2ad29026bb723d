"""Red team: the login's WebAuthn begin needs the pending login's ``mfa_token``.

A stranger who knows only a victim's user id (ids appear in many answers) must not, while
the victim is between password and security key, read the victim's credential ids
(``allowCredentials``) nor replace the challenge the victim's authenticator is signing (the
victim's finish would then fail and count toward their lockout). A user id alone answers
exactly as no pending login does, and every begin is charged on ``Budget.MFA_VERIFY``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI

from identity.config import Settings
from tests.conftest import open_client
from tests.factories import login_token, register
from tests.rest.mfa.webauthn_steps import LOGIN_BEGIN, LOGIN_FINISH
from tests.rest.mfa.webauthn_steps import register as register_key
from tests.support.authenticator import SoftAuthenticator

PASSWORD = "correct horse battery staple"


async def _victim(client: httpx.AsyncClient, email: str) -> tuple[str, SoftAuthenticator]:
    key = SoftAuthenticator()
    user_id = str((await register(client, email, password=PASSWORD)).json()["id"])
    await register_key(client, await login_token(client, email, PASSWORD), key)
    return user_id, key


def _error(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 401, response.text
    error = dict(response.json()["error"])
    error.pop("request_id", None)
    error.pop("timestamp", None)
    return error


async def test_a_stranger_with_the_user_id_neither_reads_nor_breaks_the_ceremony(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user_id, key = await _victim(client, "victim-begin@example.com")
    login = {"email": "victim-begin@example.com", "password": PASSWORD}
    pending = (await client.post("/v1/auth/login", json=login)).json()
    victims = await client.post(LOGIN_BEGIN, json={"mfa_token": pending["mfa_token"]})
    assert victims.status_code == 200, victims.text
    stranger = await client.post(LOGIN_BEGIN, json={"user_id": user_id})
    assert _error(stranger)["code"] == "MFA_CODE_INVALID"
    assert "allowCredentials" not in stranger.text
    # the user id with a wrong token, or another pending login's token, replaces nothing either
    crossed = await client.post(LOGIN_BEGIN, json={"user_id": user_id, "mfa_token": "mfa_x"})
    assert _error(crossed) == _error(stranger)
    finished = await client.post(
        LOGIN_FINISH,
        json={"mfa_token": pending["mfa_token"], "credential": key.get(victims.json())},
    )
    assert finished.status_code == 200, finished.text


async def test_a_user_id_alone_answers_exactly_as_no_pending_login(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    pending_id, _ = await _victim(client, "pending-begin@example.com")
    idle_id, _ = await _victim(client, "idle-begin@example.com")
    login = {"email": "pending-begin@example.com", "password": PASSWORD}
    assert (await client.post("/v1/auth/login", json=login)).json()["mfa_required"] is True
    answers = [
        _error(await client.post(LOGIN_BEGIN, json=body))
        for body in (
            {"user_id": pending_id},
            {"user_id": idle_id},
            {"user_id": "not-a-uuid"},
            {"mfa_token": ""},
            {},
        )
    ]
    assert all(one == answers[0] for one in answers), answers
    assert answers[0]["code"] == "MFA_CODE_INVALID"


async def test_begin_is_charged_on_the_second_factor_budget(
    make_settings: Callable[..., Settings],
) -> None:
    from identity.app import create_app

    plenty = "1000/minute"
    app = create_app(
        make_settings(
            rate_limits_enabled=True,
            rate_limits={
                "category.authentication": plenty,
                "category.general": plenty,
                "plan.free": plenty,
                "mfa_verify": "2/hour",
            },
        )
    )
    opened = open_client(app)
    client = await anext(opened)
    try:
        statuses = [
            (await client.post(LOGIN_BEGIN, json={"mfa_token": "mfa_nothing"})).status_code
            for _ in range(3)
        ]
    finally:
        async for _ in opened:
            pass
    assert statuses == [401, 401, 429]
