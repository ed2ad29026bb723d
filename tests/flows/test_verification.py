"""Email verification end to end: the mail sent at registration or on request, and its token.

Routes: ``POST /v1/auth/email/verify`` and ``/email/resend-verification`` (seed 002),
``POST /v1/auth/send-verification`` and ``/verify-email`` (seed 003).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.flows.conftest import (
    RESET_SUBJECT,
    VERIFY_SUBJECT,
    ShiftedClock,
    login,
    queued_to,
    settled,
    token_rows,
    user_row,
)
from tests.support.http import assert_error, bearer, post_ok
from tests.support.mail import FRONTEND, Mailbox

REGISTER = "/v1/auth/register"
ME = "/v1/auth/me"
PROFILE = "/v1/auth/profile"
VERIFY_002 = "/v1/auth/email/verify"
RESEND_002 = "/v1/auth/email/resend-verification"
SEND_003 = "/v1/auth/send-verification"
VERIFY_003 = "/v1/auth/verify-email"

EMAIL = "user@example.com"
UNKNOWN = "nobody@example.com"
# Seed 002's register body (its password is the one of its SDK example), and seed 003's.
REGISTER_002 = {
    "email": EMAIL,
    "password": "secure_password",
    "name": "John Doe",
    "organization": "Example Corp",
}
REGISTER_003 = {"email": EMAIL, "password": "SecurePassword123!"}


async def set_password(client: httpx.AsyncClient, mailbox: Mailbox, password: str) -> Any:
    """After a verification ended the registration's password: reset it, and log in."""
    await post_ok(client, "/v1/auth/forgot-password", {"email": EMAIL})
    token = (await mailbox.next_to(EMAIL, RESET_SUBJECT)).token
    await post_ok(client, "/v1/auth/reset-password", {"token": token, "new_password": password})
    response = await login(client, EMAIL, password)
    assert response.status_code == 200, response.text
    return response.json()


async def test_registration_mails_a_link_that_verifies_the_address_seed_002(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given an account registered as seed 002 does
    await post_ok(client, REGISTER, REGISTER_002, status=201)

    # when its owner sends back the token of the mail that arrived
    mail = await mailbox.next_to(EMAIL)
    response = await client.post(VERIFY_002, json={"token": mail.token})

    # then the address is verified, with the time it was; the registration's password ended
    # (the mailbox's owner may not be who registered), so the answer says to set one
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["email_verified"] is True
    assert body["password_reset_required"] is True
    assert "password reset" in body["message"]
    assert body["user"]["email_verified"] is True
    assert body["user"]["email_verified_at"]
    assert mail.subject == VERIFY_SUBJECT
    assert mail.link("verify-email") in mail.text
    assert mail.text.startswith("Hello,\n")  # no name in mail to an unproven address
    assert (await login(client, EMAIL, "secure_password")).status_code == 401
    tokens = await set_password(client, mailbox, "secure_password_2")
    profile = await client.get(PROFILE, headers=bearer(tokens["access_token"]))
    assert profile.json()["email_verified"] is True
    stored = await user_row(app, EMAIL)
    assert stored is not None
    assert stored.email_verified_at is not None


async def test_registration_mails_a_link_that_verifies_the_address_seed_003(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given an account registered and signed in as seed 003 does
    await post_ok(client, REGISTER, REGISTER_003, status=201)
    access = (await login(client, EMAIL, "SecurePassword123!")).json()["tokens"]["access_token"]
    before = (await client.get(ME, headers=bearer(access))).json()
    mail = await mailbox.next_to(EMAIL)

    # when
    response = await client.post(VERIFY_003, json={"token": mail.token})

    # then the address is verified; the registrant's session ended with its password
    assert response.status_code == 200, response.text
    assert before["is_email_verified"] is False
    assert (await client.get(ME, headers=bearer(access))).status_code == 401
    access = (await set_password(client, mailbox, "SecurePassword456!"))["access_token"]
    after = (await client.get(ME, headers=bearer(access))).json()
    assert after["is_email_verified"] is True
    assert after["email_verified_at"] is not None
    # and the token works once, on either path
    assert_error(await client.post(VERIFY_003, json={"token": mail.token}), 401, "TOKEN_INVALID")
    assert_error(await client.post(VERIFY_002, json={"token": mail.token}), 401, "TOKEN_INVALID")


async def test_send_verification_needs_a_bearer_and_its_link_replaces_the_first(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given a signed-in account whose registration mail is still unused
    await post_ok(client, REGISTER, REGISTER_003, status=201)
    first = await mailbox.next_to(EMAIL)
    access = (await login(client, EMAIL, "SecurePassword123!")).json()["tokens"]["access_token"]

    # when it asks for a new mail (seed 003) without its token, then with it
    anonymous = await client.post(SEND_003)
    queued_after_anonymous = len(await queued_to(app, EMAIL))
    response = await client.post(SEND_003, headers=bearer(access))
    second = await mailbox.next_to(EMAIL)

    # then the first is 401 and queues nothing; the new link verifies, the first no longer does
    assert_error(anonymous, 401, "AUTHENTICATION_REQUIRED")
    assert queued_after_anonymous == 1  # the registration's mail only
    assert response.status_code == 200, response.text
    assert response.json()["message"]
    assert second.token != first.token
    assert_error(await client.post(VERIFY_003, json={"token": first.token}), 401, "TOKEN_INVALID")
    verified = await client.post(VERIFY_003, json={"token": second.token})
    assert verified.status_code == 200, verified.text


async def test_a_verified_address_is_409_and_gets_no_more_mail(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given a verified, signed-in account
    await post_ok(client, REGISTER, REGISTER_003, status=201)
    await post_ok(client, VERIFY_003, {"token": (await mailbox.next_to(EMAIL)).token})
    access = (await set_password(client, mailbox, "SecurePassword456!"))["access_token"]

    # when it asks again, signed in (seed 003) and publicly (seed 002)
    signed_in = await client.post(SEND_003, headers=bearer(access))
    public = await client.post(RESEND_002, json={"email": EMAIL})

    # then the first is refused, the second answers as always, and no mail is queued
    assert_error(signed_in, 409, "EMAIL_ALREADY_VERIFIED")
    assert public.status_code == 200, public.text
    await settled(app)
    assert [mail.subject for mail in mailbox.received_by(EMAIL)] == [VERIFY_SUBJECT, RESET_SUBJECT]


async def test_resend_answers_the_same_for_unknown_addresses_and_mails_only_known_ones(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given an unverified account whose registration mail was lost
    await post_ok(client, REGISTER, REGISTER_002, status=201)
    await mailbox.next_to(EMAIL)

    # when seed 002's resend is asked for it and for an address nobody uses
    known = await client.post(RESEND_002, json={"email": EMAIL})
    unknown = await client.post(RESEND_002, json={"email": UNKNOWN})

    # then both answers are the same; only the account gets a (working) mail
    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json()
    again = await mailbox.next_to(EMAIL)
    await settled(app)
    assert mailbox.received_by(UNKNOWN) == []
    assert await queued_to(app, UNKNOWN) == []
    verified = await client.post(VERIFY_002, json={"token": again.token})
    assert verified.status_code == 200, verified.text


async def test_a_verification_link_expires_after_verification_token_hours(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI, clock: ShiftedClock
) -> None:
    # given two registration mails: one used just inside its 24 hours, one after them
    await post_ok(client, REGISTER, REGISTER_002, status=201)
    await post_ok(client, REGISTER, {**REGISTER_003, "email": "late@example.com"}, status=201)
    on_time = (await mailbox.next_to(EMAIL)).token
    late = (await mailbox.next_to("late@example.com")).token
    clock.advance(hours=23, minutes=59)
    inside = await client.post(VERIFY_002, json={"token": on_time})
    clock.advance(minutes=1, seconds=1)

    # when
    outside = await client.post(VERIFY_002, json={"token": late})

    # then the late one is refused and verifies nothing
    assert inside.status_code == 200, inside.text
    assert_error(outside, 401, "TOKEN_EXPIRED")
    stored = await user_row(app, "late@example.com")
    assert stored is not None
    assert stored.email_verified is False
    assert stored.email_verified_at is None


async def test_a_token_is_random_bound_to_its_user_and_kept_only_as_a_hash(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # when two accounts register
    await post_ok(client, REGISTER, REGISTER_002, status=201)
    await post_ok(client, REGISTER, {**REGISTER_003, "email": "other@example.com"}, status=201)
    tokens = [
        (await mailbox.next_to(EMAIL)).token,
        (await mailbox.next_to("other@example.com")).token,
    ]

    # then each token carries at least 128 random bits, and the database holds only digests
    rows = await token_rows(app)
    assert tokens[0] != tokens[1]
    assert all(len(base64.urlsafe_b64decode(token + "==")) >= 16 for token in tokens)
    assert sorted(row.token_hash for row in rows) == sorted(
        hashlib.sha256(token.encode()).hexdigest() for token in tokens
    )
    for row in rows:
        assert row.purpose == "verify_email"
        assert row.user_id is not None
        assert not {str(value) for value in row.model_dump().values()} & set(tokens)


async def test_no_raw_token_stays_in_the_database_once_its_mail_is_sent(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given a registration whose mail went out
    await post_ok(client, REGISTER, REGISTER_002, status=201)
    token = (await mailbox.next_to(EMAIL)).token
    await settled(app)

    # then the outbox no longer holds the token either
    [row] = await queued_to(app, EMAIL)
    assert token not in row.text_body
    assert token not in row.html_body


@pytest.mark.settings(send_verification_on_register=False)
async def test_no_mail_at_registration_when_the_setting_is_off(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # when
    await post_ok(client, REGISTER, REGISTER_002, status=201)

    # then nothing was queued; asking for it still works
    await settled(app)
    assert await queued_to(app, EMAIL) == []
    await post_ok(client, RESEND_002, {"email": EMAIL})
    mail = await mailbox.next_to(EMAIL)
    assert mail.text.startswith("Hello,\n")
    assert FRONTEND in mail.text
