"""Which first factors ask for the second: a password and a magic link both do (a link is a
first factor only); a live trusted device of the same user skips it, an expired, revoked or
another user's one does not; an account without MFA logs straight in."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from identity.models import TokenPurpose
from identity.models.mfa import TrustedDevice
from identity.principal import RequestMeta
from identity.security.secrets import hash_token, new_token
from identity.services import auth, one_time
from identity.services.mfa import trusted
from identity.services.mfa.pending import MfaRequired
from identity.services.tokens import TokenPair
from tests.factories import ACCOUNT_PASSWORD
from tests.support.app import runtime
from tests.support.mfa_factors import signed_in
from tests.support.mfa_login import COMPLETE, challenges, mfa_user, password_login

META = RequestMeta(ip_address="203.0.113.12")


async def _trust(
    app: FastAPI, user_id: uuid.UUID, *, days: float = 30, revoked: bool = False
) -> str:
    deps = runtime(app).deps
    now = deps.clock.now()
    token = new_token()
    async with deps.database.unit_of_work() as session:
        session.add(
            TrustedDevice(
                user_id=user_id,
                token_hash=hash_token(token),
                device_key="laptop",
                created_at=now,
                expires_at=now + timedelta(days=days),
                revoked_at=now if revoked else None,
            )
        )
    return token


async def _login(app: FastAPI, email: str, device_token: str | None) -> object:
    return await auth.login(
        runtime(app).deps,
        identifier=email,
        password=ACCOUNT_PASSWORD,
        meta=META,
        device_token=device_token,
    )


async def test_an_account_without_mfa_logs_straight_in_with_pwd(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    account = await signed_in(app)
    outcome = await _login(app, account.principal.email, None)
    assert isinstance(outcome, TokenPair)
    assert outcome.session.amr == ["pwd"]


async def test_a_live_trusted_device_skips_the_second_factor(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app)
    token = await _trust(app, user.id)
    outcome = await _login(app, user.email, token)
    assert isinstance(outcome, TokenPair)
    assert await challenges(app, user.id) == []
    client.cookies.set(trusted.COOKIE_NAME, token)
    by_cookie = await client.post(
        "/v1/auth/login", json={"email": user.email, "password": ACCOUNT_PASSWORD}
    )
    assert by_cookie.status_code == 200, by_cookie.text
    assert "access_token" in by_cookie.json()


@pytest.mark.parametrize("kind", ["expired", "revoked", "another user's", "made up"])
async def test_a_dead_or_foreign_device_token_still_asks(
    app: FastAPI, client: httpx.AsyncClient, kind: str
) -> None:
    user = await mfa_user(app)
    other = await mfa_user(app)
    token = {
        "expired": lambda: _trust(app, user.id, days=-1),
        "revoked": lambda: _trust(app, user.id, revoked=True),
        "another user's": lambda: _trust(app, other.id),
    }.get(kind)
    device_token = await token() if token else new_token()
    answer = await password_login(client, user.email, device_token=device_token)
    assert answer["mfa_required"] is True


async def test_a_magic_link_is_a_first_factor_only(app: FastAPI, client: httpx.AsyncClient) -> None:
    user = await mfa_user(app)
    deps = runtime(app).deps
    async with deps.database.unit_of_work() as session:
        link = await one_time.issue(
            session,
            purpose=TokenPurpose.MAGIC_LINK,
            email=user.email,
            user_id=user.id,
            now=deps.clock.now(),
            lifetime=timedelta(minutes=15),
        )
    response = await client.post("/v1/auth/magic-link/verify", json={"token": link})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["mfa_required"] is True
    assert "access_token" not in answer
    [row] = await challenges(app, user.id)
    assert row.first_factor == "magic_link"
    completed = await client.post(
        f"{COMPLETE}/backup", json={"mfa_token": answer["mfa_token"], "code": user.backup_codes[0]}
    )
    assert completed.status_code == 200, completed.text
    assert isinstance(await _login(app, user.email, None), MfaRequired)
