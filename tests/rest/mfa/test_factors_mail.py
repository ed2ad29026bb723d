"""The mails of MFA's factors, delivered through the app's real worker to the in-process SMTP
server: a factor added, few backup codes left, MFA turned off, an administrator's reset. No
mail carries a code, a secret or a link."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.factories import ACCOUNT_PASSWORD, super_admin
from tests.flows.conftest import clock, mailbox, make_flow_settings, settings, smtp
from tests.support.mail import Mailbox
from tests.support.mfa_factors import signed_in, with_totp

__all__ = ["clock", "mailbox", "make_flow_settings", "settings", "smtp"]


async def test_each_change_to_the_factors_is_mailed(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    account = await signed_in(app, "jane@example.com", first_name="Jane", email_verified=True)
    secret, codes = await with_totp(app, account)
    added = await mailbox.next_to("jane@example.com", "A second factor was added to your account")
    assert added.text.startswith("Hello Jane,")
    assert "an authenticator app" in added.text
    assert secret not in added.text

    for code in codes[:8]:
        response = await client.post(
            "/v1/auth/reauthenticate", json={"code": code}, headers=account.headers
        )
        assert response.status_code == 200, response.text
    low = await mailbox.next_to("jane@example.com", "Few backup codes remain")
    assert "2 remain" in low.text
    assert not any(code in low.text for code in codes)

    off = await client.post(
        "/v1/auth/mfa/disable", json={"password": ACCOUNT_PASSWORD}, headers=account.headers
    )
    assert off.status_code == 200, off.text
    disabled = await mailbox.next_to(
        "jane@example.com", "Multi-factor authentication was turned off"
    )
    assert "reset your password" in disabled.text


async def test_an_administrators_reset_is_mailed(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    account = await signed_in(app, "lost@example.com")
    await with_totp(app, account)
    root = await super_admin(app)
    response = await client.post(f"/v1/admin/users/{account.id}/mfa/reset", headers=root.headers)
    assert response.status_code == 200, response.text
    reset = await mailbox.next_to(
        "lost@example.com", "An administrator reset your multi-factor authentication"
    )
    assert reset.text.startswith("Hello,")
    assert "Set up a second factor again" in reset.text
