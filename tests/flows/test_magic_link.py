"""Passwordless sign-in by mailed link (seed 003): ``POST /v1/auth/magic-link/send`` and
``/magic-link/verify``, with the document's example bodies.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from identity.app import create_app
from identity.config import Settings
from tests.conftest import open_client
from tests.flows.conftest import (
    MAGIC_SUBJECT,
    RESET_SUBJECT,
    ShiftedClock,
    queued_to,
    settled,
    user_row,
)
from tests.support.audit import audit_events
from tests.support.http import assert_error, assert_fields, bearer, post_ok
from tests.support.mail import FRONTEND, Mailbox

SEND = "/v1/auth/magic-link/send"
VERIFY = "/v1/auth/magic-link/verify"
REGISTER = "/v1/auth/register"
LOGIN = "/v1/auth/login"
REFRESH = "/v1/auth/refresh"
ME = "/v1/auth/me"

EMAIL = "user@example.com"
UNKNOWN = "newcomer@example.com"
PASSWORD = "SecurePassword123!"
REGISTER_BODY = {"email": EMAIL, "password": PASSWORD}
LOGIN_FIELDS = {"access_token", "refresh_token", "token_type", "expires_in", "user", "tokens"}
TOKENS_FIELDS = {"access_token", "refresh_token", "token_type", "expires_in"}


async def link_token(client: httpx.AsyncClient, mailbox: Mailbox, email: str = EMAIL) -> str:
    """Ask for a sign-in link as seed 003 does; the token of the mail that arrives."""
    await post_ok(client, SEND, {"email": email})
    return (await mailbox.next_to(email, MAGIC_SUBJECT)).token


async def test_a_known_user_signs_in_with_the_mailed_link(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given an account that has not verified its address yet
    await post_ok(client, REGISTER, REGISTER_BODY, status=201)

    # when it asks for a link and sends back its token (seed 003's example bodies)
    sent = await client.post(SEND, json={"email": EMAIL})
    mail = await mailbox.next_to(EMAIL, MAGIC_SUBJECT)
    response = await client.post(VERIFY, json={"token": mail.token, "allow_registration": False})

    # then it gets tokens as a login does, and they work
    assert sent.status_code == 200, sent.text
    assert mail.link("magic-link") in mail.text
    assert "expire in 10 minutes" in mail.text
    assert response.status_code == 200, response.text
    body = response.json()
    assert_fields(body, LOGIN_FIELDS)
    assert_fields(body["tokens"], TOKENS_FIELDS)
    assert body["user"]["email"] == EMAIL
    me = await client.get(ME, headers=bearer(body["tokens"]["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["email"] == EMAIL
    assert me.json()["is_email_verified"] is True  # the mailbox answered
    refreshed = await client.post(REFRESH, json={"refresh_token": body["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    user_id = uuid.UUID(body["user"]["id"])
    events = {
        (event.event_type, event.details.get("known_account"), event.details.get("method"))
        for event in await audit_events(app)
        if event.subject_id == user_id
    }
    assert ("magic_link.requested", True, None) in events
    assert ("login.succeeded", None, "magic_link") in events
    # and the link works once
    replayed = await client.post(VERIFY, json={"token": mail.token, "allow_registration": False})
    assert_error(replayed, 401, "TOKEN_INVALID")


async def test_a_newer_link_replaces_the_older(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    # given two links asked for in turn
    await post_ok(client, REGISTER, REGISTER_BODY, status=201)
    older = await link_token(client, mailbox)
    newer = await link_token(client, mailbox)

    # when
    stale = await client.post(VERIFY, json={"token": older, "allow_registration": False})
    fresh = await client.post(VERIFY, json={"token": newer, "allow_registration": False})

    # then
    assert_error(stale, 401, "TOKEN_INVALID")
    assert fresh.status_code == 200, fresh.text


async def test_a_link_expires_after_magic_link_minutes(
    client: httpx.AsyncClient, mailbox: Mailbox, clock: ShiftedClock
) -> None:
    # given a link older than magic_link_minutes (10)
    await post_ok(client, REGISTER, REGISTER_BODY, status=201)
    token = await link_token(client, mailbox)
    clock.advance(minutes=10, seconds=1)

    # when
    response = await client.post(VERIFY, json={"token": token, "allow_registration": False})

    # then
    assert_error(response, 401, "TOKEN_EXPIRED")


async def test_an_unknown_address_signs_up_only_when_it_asks_to(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given a link mailed to an address no account uses (registration is open)
    token = await link_token(client, mailbox, UNKNOWN)

    # when it is sent back without, then with, allow_registration
    refused = await client.post(VERIFY, json={"token": token, "allow_registration": False})
    created_after_refusal = await user_row(app, UNKNOWN)
    signed_up = await client.post(VERIFY, json={"token": token, "allow_registration": True})

    # then the first is 404 and creates nothing; the same token then makes a verified account
    assert_error(refused, 404, "ACCOUNT_NOT_FOUND")
    assert created_after_refusal is None
    assert signed_up.status_code == 200, signed_up.text
    body = signed_up.json()
    assert_fields(body, LOGIN_FIELDS)
    assert body["user"]["email"] == UNKNOWN
    assert body["user"]["email_verified"] is True
    me = await client.get(ME, headers=bearer(body["access_token"]))
    assert me.status_code == 200, me.text
    stored = await user_row(app, UNKNOWN)
    assert stored is not None
    assert stored.email_verified_at is not None
    events = {
        (event.event_type, event.subject_id, event.details.get("method"))
        for event in await audit_events(app)
    }
    assert events == {
        ("magic_link.requested", None, None),
        ("user.registered", stored.id, "magic_link"),
        ("login.succeeded", stored.id, "magic_link"),
    }
    again = await client.post(VERIFY, json={"token": token, "allow_registration": True})
    assert_error(again, 401, "TOKEN_INVALID")


async def test_a_link_sent_before_the_address_registered_dies_with_the_next_one(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given a sign-up link to an unknown address, which then registers with a password
    older = await link_token(client, mailbox)
    await post_ok(client, REGISTER, REGISTER_BODY, status=201)

    # when a new link is asked for
    newer = await link_token(client, mailbox)

    # then only the newest link signs in
    stale = await client.post(VERIFY, json={"token": older, "allow_registration": False})
    assert_error(stale, 401, "TOKEN_INVALID")
    fresh = await client.post(VERIFY, json={"token": newer, "allow_registration": False})
    assert fresh.status_code == 200, fresh.text


async def test_a_password_reset_ends_sign_up_links_sent_before_the_account(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given a sign-up link to an address that then registers with a password
    stale = await link_token(client, mailbox)
    await post_ok(client, REGISTER, REGISTER_BODY, status=201)

    # when the account resets its password
    await post_ok(client, "/v1/auth/forgot-password", {"email": EMAIL})
    reset = (await mailbox.next_to(EMAIL, RESET_SUBJECT)).token
    await post_ok(
        client, "/v1/auth/reset-password", {"token": reset, "new_password": "NewSecure456!"}
    )

    # then the old link no longer signs in to it
    response = await client.post(VERIFY, json={"token": stale, "allow_registration": False})
    assert_error(response, 401, "TOKEN_INVALID")


@pytest.mark.settings(registration_enabled=False)
async def test_with_registration_closed_unknown_addresses_get_the_same_answer_and_no_mail(
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    app: FastAPI,
    make_flow_settings: Callable[..., Settings],
) -> None:
    # given an account made while registration was open (by another app on the same database)
    opened: Settings = make_flow_settings(send_verification_on_register=False)
    async for other in open_client(create_app(opened)):
        await post_ok(other, REGISTER, REGISTER_BODY, status=201)

    # when a link is asked for it and for an address nobody uses
    known = await client.post(SEND, json={"email": EMAIL})
    unknown = await client.post(SEND, json={"email": UNKNOWN})

    # then the answers are the same, and only the account gets a link
    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json()
    mail = await mailbox.next_to(EMAIL, MAGIC_SUBJECT)
    await settled(app)
    assert mailbox.received_by(UNKNOWN) == []
    assert await queued_to(app, UNKNOWN) == []
    assert mail.link("magic-link").startswith(FRONTEND)
    signed_in = await client.post(VERIFY, json={"token": mail.token, "allow_registration": True})
    assert signed_in.status_code == 200, signed_in.text
