"""Enforced MFA (runtime setting ``mfa_required_for``): an account that must have a second
factor and has none gets an enrolment token after its password, good for setting up and
enabling a factor only; once one is enabled the token is dead and the login asks for it."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from identity.errors import TokenInvalid
from identity.models import User
from identity.principal import RequestMeta
from identity.security import otp
from identity.services import auth
from identity.services.mfa import enrollment
from identity.services.mfa.enrollment import MfaEnrollmentRequired
from identity.services.mfa.pending import MfaRequired
from identity.services.tokens import TokenPair
from tests.factories import ACCOUNT_PASSWORD, set_setting, super_admin
from tests.support.app import runtime
from tests.support.http import bearer
from tests.support.mfa_factors import signed_in
from tests.support.mfa_login import mfa_user, password_login

META = RequestMeta(ip_address="203.0.113.11")


async def _login(app: FastAPI, email: str) -> object:
    return await auth.login(
        runtime(app).deps, identifier=email, password=ACCOUNT_PASSWORD, meta=META
    )


@pytest.mark.parametrize(
    ("required_for", "role", "enrols"),
    [
        ("none", "superadmin", False),
        ("admins", "user", False),
        ("admins", "admin", True),
        ("all", "user", True),
    ],
)
async def test_who_must_enrol(
    app: FastAPI, client: httpx.AsyncClient, required_for: str, role: str, enrols: bool
) -> None:
    await set_setting(app, client, "mfa_required_for", required_for)
    account = await signed_in(app, role=role)
    outcome = await _login(app, account.principal.email)
    assert isinstance(outcome, MfaEnrollmentRequired if enrols else TokenPair), outcome


async def test_an_account_with_mfa_is_asked_for_it_not_to_enrol(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await set_setting(app, client, "mfa_required_for", "all")
    user = await mfa_user(app)
    assert isinstance(await _login(app, user.email), MfaRequired)


async def test_the_setting_accepts_its_three_values_only(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin = await super_admin(app)
    response = await client.patch(
        "/v1/admin/settings/mfa_required_for", json={"value": "everyone"}, headers=admin.headers
    )
    assert response.status_code == 422, response.text
    public = await client.get("/v1/auth/settings")
    assert public.status_code == 200, public.text
    assert public.json()["mfa_required_for"] == "none"


async def test_the_enrolment_token_reaches_setup_and_enable_only(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await set_setting(app, client, "mfa_required_for", "all")
    account = await signed_in(app, email_verified=True)
    email = account.principal.email
    answer = await password_login(client, email)
    assert answer["mfa_enrollment_required"] is True
    assert "access_token" not in answer
    token = answer["enrollment_token"]
    assert token.startswith("mfe_")
    headers = bearer(token)
    for method, path in (
        ("GET", "/v1/auth/me"),
        ("GET", "/api/v1/users/me"),
        ("GET", "/v1/sessions"),
        ("POST", "/v1/auth/mfa/email/disable"),
        ("GET", "/v1/auth/mfa/status"),
        ("POST", "/v1/auth/mfa/trust-device"),
        ("GET", "/api/v1/users"),
    ):
        refused = await client.request(method, path, headers=headers)
        assert refused.status_code == 401, (path, refused.text)
    me = await client.post("/graphql", json={"query": "{ me { id } }"}, headers=headers)
    assert "errors" in me.json() or me.json()["data"]["me"] is None
    setup = await client.post("/v1/auth/mfa/setup", headers=headers)
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    code = otp.totp_code(secret, otp.step_at(runtime(app).clock.now()))
    enabled = await client.post("/v1/auth/mfa/enable", json={"code": code}, headers=headers)
    assert enabled.status_code == 200, enabled.text
    dead = await client.post("/v1/auth/mfa/setup", headers=headers)
    assert dead.status_code == 401, dead.text
    again = await password_login(client, email)
    assert again["mfa_required"] is True
    assert again["methods"][0] == "totp"


async def test_the_enrolment_token_dies_with_a_password_change(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await set_setting(app, client, "mfa_required_for", "all")
    account = await signed_in(app)
    outcome = await _login(app, account.principal.email)
    assert isinstance(outcome, MfaEnrollmentRequired)
    deps = runtime(app).deps
    principal = await enrollment.principal(deps, token=outcome.enrollment_token, meta=META)
    assert principal.user_id == account.id
    assert await principal.permissions() == frozenset()
    async with deps.database.unit_of_work() as session:
        row = await session.get(User, account.id)
        assert row is not None
        row.password_hash = await deps.hasher.hash("Another-Password-2026!")
    with pytest.raises(TokenInvalid):
        await enrollment.principal(deps, token=outcome.enrollment_token, meta=META)
    with pytest.raises(TokenInvalid):
        await enrollment.principal(deps, token="mfe_forged", meta=META)
