"""Links that log in without a password die with the password they bypass, cannot be
re-requested without end, and an unproven account is claimed by its mailbox's owner."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.flows.conftest import MAGIC_SUBJECT, RESET_SUBJECT, queued_to, settled
from tests.support.http import assert_error, bearer, post_ok
from tests.support.mail import Mailbox

EMAIL = "user@example.com"
PASSWORD = "SecurePassword123!"
ACCOUNT = {"email": EMAIL, "password": PASSWORD}
FORGOT = "/v1/auth/forgot-password"
RESET = "/v1/auth/reset-password"


async def test_changing_the_password_retires_the_reset_link(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given a reset link in the mailbox and a signed-in user
    await post_ok(client, "/v1/auth/register", ACCOUNT, status=201)
    await post_ok(client, FORGOT, {"email": EMAIL})
    token = (await mailbox.next_to(EMAIL, RESET_SUBJECT)).token
    tokens = await post_ok(client, "/v1/auth/login", ACCOUNT)

    # when the password is changed
    await post_ok(
        client,
        "/v1/auth/change-password",
        {"current_password": PASSWORD, "new_password": "Another-Secret-2026"},
        headers=bearer(tokens["access_token"]),
    )

    # then the older link no longer resets it
    response = await client.post(RESET, json={"token": token, "new_password": "Third-Secret-2026"})
    assert_error(response, 401, "TOKEN_INVALID")


async def test_reset_mails_to_one_address_are_capped(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given an account
    await post_ok(client, "/v1/auth/register", {**ACCOUNT, "email": "cap@example.com"}, status=201)

    # when someone asks for eight reset links
    answers = [await client.post(FORGOT, json={"email": "cap@example.com"}) for _ in range(8)]

    # then every answer is the same, and only five mails were queued
    assert {response.status_code for response in answers} == {200}
    assert len({response.text for response in answers}) == 1
    await settled(app)
    resets = [
        row for row in await queued_to(app, "cap@example.com") if row.template != "verify_email"
    ]
    assert len(resets) == 5


async def test_a_magic_link_claims_an_account_nobody_had_proven(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given an unverified account, registered by someone who keeps a session
    await post_ok(client, "/v1/auth/register", ACCOUNT, status=201)
    squatter = await post_ok(client, "/v1/auth/login", ACCOUNT)

    # when the mailbox's owner signs in by link
    await post_ok(client, "/v1/auth/magic-link/send", {"email": EMAIL})
    token = (await mailbox.next_to(EMAIL, MAGIC_SUBJECT)).token
    await post_ok(client, "/v1/auth/magic-link/verify", {"token": token})

    # then the registrant's session and password no longer work
    me = await client.get("/v1/auth/me", headers=bearer(squatter["access_token"]))
    assert me.status_code == 401
    assert_error(await client.post("/v1/auth/login", json=ACCOUNT), 401, "INVALID_CREDENTIALS")
