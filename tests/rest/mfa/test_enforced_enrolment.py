"""Enforced MFA on every way a session opens (red team): an invitation accepted as a new
account and a forced password change answer ``mfa_enrollment_required`` with an enrolment
token while ``mfa_required_for`` covers the account, never a session."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from identity.security import otp
from tests.factories import ACCOUNT_PASSWORD, add_user, new_tenant, set_setting, tenant_admin
from tests.flows.conftest import clock, mailbox, make_flow_settings, settings, smtp
from tests.support.app import runtime
from tests.support.http import bearer
from tests.support.invitations import ACCEPT, NEW_PASSWORD, invite, mailed_token, new_account
from tests.support.mail import Mailbox
from tests.support.mfa_login import password_login

__all__ = ["clock", "mailbox", "make_flow_settings", "settings", "smtp"]

CHANGED_PASSWORD = "Brand-New-Pass-2026!"


async def _enrol(app: FastAPI, client: httpx.AsyncClient, token: str) -> None:
    """Set up and enable TOTP with an enrolment token (its only use)."""
    me = await client.get("/v1/auth/me", headers=bearer(token))
    assert me.status_code == 401, "an enrolment token is no access token"
    setup = await client.post("/v1/auth/mfa/setup", headers=bearer(token))
    assert setup.status_code == 200, setup.text
    code = otp.totp_code(setup.json()["secret"], otp.step_at(runtime(app).clock.now()))
    enabled = await client.post("/v1/auth/mfa/enable", json={"code": code}, headers=bearer(token))
    assert enabled.status_code == 200, enabled.text


async def test_an_invitation_accepted_as_a_new_account_enrols_first(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    tenant_id = await new_tenant(app)
    admin = await tenant_admin(app, tenant_id)
    await set_setting(app, client, "mfa_required_for", "all")
    await invite(client, admin.token, "newbie@example.com")
    token = await mailed_token(mailbox, "newbie@example.com")
    accepted = await client.post(ACCEPT, json=new_account(token))
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert "access_token" not in body
    assert "refresh_token" not in body
    assert body["mfa_enrollment_required"] is True
    assert body["account_created"] is True
    assert body["invitation"]["status"] == "accepted"
    assert body["user_id"] == body["user"]["id"]
    await _enrol(app, client, body["enrollment_token"])
    again = await password_login(client, "newbie@example.com", password=NEW_PASSWORD)
    assert again["mfa_required"] is True


async def test_an_invitation_accepted_without_enforcement_opens_a_session(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    tenant_id = await new_tenant(app)
    admin = await tenant_admin(app, tenant_id)
    await set_setting(app, client, "mfa_required_for", "admins")  # a plain member: not covered
    await invite(client, admin.token, "member@example.com")
    token = await mailed_token(mailbox, "member@example.com")
    accepted = await client.post(ACCEPT, json=new_account(token))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["access_token"]
    assert "mfa_enrollment_required" not in accepted.json()


async def test_a_forced_password_change_does_not_skip_enforced_enrolment(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await set_setting(app, client, "mfa_required_for", "all")
    email = "must-change@example.com"
    await add_user(
        app,
        email,
        password_hash=await runtime(app).deps.hasher.hash(ACCOUNT_PASSWORD),
        email_verified=True,
        must_change_password=True,
    )
    answer = await password_login(client, email)
    change_token = answer["access_token"]
    changed = await client.post(
        "/v1/auth/change-password",
        json={"current_password": ACCOUNT_PASSWORD, "new_password": CHANGED_PASSWORD},
        headers=bearer(change_token),
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert "access_token" not in body
    assert "refresh_token" not in body
    assert body["mfa_enrollment_required"] is True
    # the password-change session ended with the change
    ended = await client.post(
        "/v1/auth/change-password",
        json={"current_password": CHANGED_PASSWORD, "new_password": ACCOUNT_PASSWORD + "x"},
        headers=bearer(change_token),
    )
    assert ended.status_code == 401, ended.text
    await _enrol(app, client, body["enrollment_token"])
    again = await password_login(client, email, password=CHANGED_PASSWORD)
    assert again["mfa_required"] is True
