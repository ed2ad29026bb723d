"""Item 14: mail to an address nobody has proven carries no text the requester chose.

The attack: register someone else's address with a "name" that reads as a message, and have
our own signed mail deliver it ("Hello Your account is locked, call +1 555 0100,").
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.flows.conftest import (
    CHANGE_SUBJECT,
    MAGIC_SUBJECT,
    RESET_SUBJECT,
    VERIFY_SUBJECT,
    queued_to,
    settled,
)
from tests.support.graphql import gql_data
from tests.support.http import post_ok
from tests.support.mail import Mailbox

VICTIM = "victim@example.com"
PHISH = "Your account is locked. Call +1 555 0100 or visit evil.example to unlock it"
PASSWORD = "SecurePassword123!"
MOVE = """
mutation($input: RequestEmailChangeInput!) { requestEmailChange(input: $input) { __typename } }
"""


def assert_no_phish(text: str) -> None:
    assert "Call +1 555" not in text
    assert "evil.example" not in text
    assert text.startswith("Hello,\n"), text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        pytest.param(
            "/api/v1/auth/register",
            {"username": "victim", "first_name": PHISH[:150], "last_name": "x"},
            id="seed-000",
        ),
        pytest.param("/v1/auth/register", {"name": PHISH}, id="seed-002"),
        pytest.param("/v1/auth/register", {"display_name": PHISH}, id="seed-003"),
    ],
)
async def test_the_registration_mail_greets_no_one_by_the_name_given(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI, path: str, body: dict[str, str]
) -> None:
    # when someone registers the victim's address with a phishing "name"
    await post_ok(client, path, {"email": VICTIM, "password": PASSWORD, **body}, status=201)

    # then the verification mail the victim gets carries none of it, in either part
    mail = await mailbox.next_to(VICTIM, VERIFY_SUBJECT)
    assert_no_phish(mail.text)
    await settled(app)
    [row] = await queued_to(app, VICTIM)
    assert "evil.example" not in row.html_body


async def test_links_to_an_unverified_account_greet_no_one_by_name(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given an unverified account registered with a phishing "name"
    await post_ok(
        client,
        "/v1/auth/register",
        {"email": VICTIM, "password": PASSWORD, "name": PHISH},
        status=201,
    )

    # when reset and sign-in links are asked for it
    await post_ok(client, "/v1/auth/forgot-password", {"email": VICTIM})
    await post_ok(client, "/v1/auth/magic-link/send", {"email": VICTIM})

    # then neither mail carries the name
    assert_no_phish((await mailbox.next_to(VICTIM, RESET_SUBJECT)).text)
    assert_no_phish((await mailbox.next_to(VICTIM, MAGIC_SUBJECT)).text)


async def test_the_new_address_of_an_email_change_is_not_greeted_by_name(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given a proven account whose name reads as a message
    await post_ok(
        client,
        "/v1/auth/register",
        {"email": "me@example.com", "password": PASSWORD, "name": PHISH},
        status=201,
    )
    verification = (await mailbox.next_to("me@example.com", VERIFY_SUBJECT)).token
    await post_ok(client, "/v1/auth/verify-email", {"token": verification})
    await post_ok(client, "/v1/auth/forgot-password", {"email": "me@example.com"})
    reset = await mailbox.next_to("me@example.com", RESET_SUBJECT)
    await post_ok(
        client, "/v1/auth/reset-password", {"token": reset.token, "new_password": PASSWORD}
    )
    tokens = await post_ok(
        client, "/v1/auth/login", {"email": "me@example.com", "password": PASSWORD}
    )

    # when it asks to move to the victim's address
    data = await gql_data(
        client,
        MOVE,
        {"input": {"newEmail": VICTIM, "currentPassword": PASSWORD}},
        token=tokens["access_token"],
    )

    # then the confirmation the victim gets carries no name
    assert data["requestEmailChange"]["__typename"] == "Accepted"
    assert_no_phish((await mailbox.next_to(VICTIM, CHANGE_SUBJECT)).text)
