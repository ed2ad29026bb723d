"""Item 2: verifying an address nobody had proven evicts whoever registered it.

The attack (account pre-hijacking): someone registers the victim's address with a password of
theirs and keeps a session; the victim, receiving the verification mail, follows it. Before,
the squatter then held a verified account on the victim's address.
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.flows.conftest import RESET_SUBJECT, VERIFY_SUBJECT, user_row
from tests.support.audit import audit_events
from tests.support.graphql import gql_data
from tests.support.http import assert_error, bearer, post_ok
from tests.support.mail import Mailbox

EMAIL = "victim@example.com"
SQUATTER_PASSWORD = "Squatter-Password-1"
OWNER_PASSWORD = "Owner-Password-2026"
REGISTER = {"email": EMAIL, "password": SQUATTER_PASSWORD}
LOGIN = "/v1/auth/login"

VERIFY_EMAIL = """
mutation Verify($token: String!) { verifyEmail(token: $token) {
  __typename ... on UserPayload { user { email emailVerified } } ... on Error { code }
} }
"""


async def squat(client: httpx.AsyncClient, mailbox: Mailbox) -> tuple[dict[str, str], str]:
    """The squatter registers and signs in; the verification token the victim receives."""
    await post_ok(client, "/v1/auth/register", REGISTER, status=201)
    tokens = await post_ok(client, LOGIN, REGISTER)
    return tokens, (await mailbox.next_to(EMAIL, VERIFY_SUBJECT)).token


async def test_verifying_evicts_the_registrant_and_the_owner_sets_a_password(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given a squatter holding a session and a refresh token on the victim's address
    squatter, verification = await squat(client, mailbox)

    # when the mailbox's owner follows the verification link
    answer = await post_ok(client, "/v1/auth/verify-email", {"token": verification})

    # then the squatter's session, refresh token and password are gone
    assert answer["email_verified"] is True
    assert answer["password_reset_required"] is True
    me = await client.get("/v1/auth/me", headers=bearer(squatter["access_token"]))
    assert me.status_code == 401, me.text
    assert_error(
        await client.post("/v1/auth/refresh", json={"refresh_token": squatter["refresh_token"]}),
        401,
        "TOKEN_INVALID",
    )
    assert_error(await client.post(LOGIN, json=REGISTER), 401, "INVALID_CREDENTIALS")
    stored = await user_row(app, EMAIL)
    assert stored is not None
    assert stored.email_verified is True
    assert stored.password_hash is None
    [claimed] = [
        event for event in await audit_events(app) if event.event_type == "account.claimed"
    ]
    assert claimed.details == {
        "via": "verification",
        "sessions_revoked": 1,
        "password_cleared": True,
    }

    # and the owner sets a password through a reset, as the answer says
    await post_ok(client, "/v1/auth/forgot-password", {"email": EMAIL})
    reset = (await mailbox.next_to(EMAIL, RESET_SUBJECT)).token
    await post_ok(
        client, "/v1/auth/reset-password", {"token": reset, "new_password": OWNER_PASSWORD}
    )
    await post_ok(client, LOGIN, {"email": EMAIL, "password": OWNER_PASSWORD})


async def test_the_squatters_me_is_refused_after_verification(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given
    squatter, verification = await squat(client, mailbox)

    # when the owner verifies over GraphQL
    data = await gql_data(client, VERIFY_EMAIL, {"token": verification})

    # then
    assert data["verifyEmail"]["user"] == {"email": EMAIL, "emailVerified": True}
    me = await client.get("/v1/auth/me", headers=bearer(squatter["access_token"]))
    assert me.status_code == 401, me.text


async def test_links_the_squatter_had_pending_die_with_the_verification(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given a squatter who also had a reset link sent (to the victim's mailbox, unused)
    _, verification = await squat(client, mailbox)
    await post_ok(client, "/v1/auth/forgot-password", {"email": EMAIL})
    stale_reset = (await mailbox.next_to(EMAIL, RESET_SUBJECT)).token

    # when the owner verifies
    await post_ok(client, "/v1/auth/verify-email", {"token": verification})

    # then the reset link sent before the claim no longer works
    refused = await client.post(
        "/v1/auth/reset-password", json={"token": stale_reset, "new_password": OWNER_PASSWORD}
    )
    assert_error(refused, 401, "TOKEN_INVALID")


async def test_the_registrant_signed_in_as_the_account_keeps_it(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given: one person registered, is signed in, and follows the link from their own mail
    mine, verification = await squat(client, mailbox)

    # when the link is followed with that account's bearer token, on either surface
    answer = await post_ok(
        client,
        "/v1/auth/verify-email",
        {"token": verification},
        headers=bearer(mine["access_token"]),
    )

    # then the address is proven and nothing is taken away
    assert answer["email_verified"] is True
    assert answer["password_reset_required"] is False
    me = await client.get("/v1/auth/me", headers=bearer(mine["access_token"]))
    assert me.status_code == 200, me.text
    await post_ok(client, LOGIN, REGISTER)


async def test_another_accounts_token_does_not_spare_the_registrant(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given: the squatter's account, and a second account the squatter also holds
    squatter, verification = await squat(client, mailbox)
    other = {"email": "other@example.com", "password": "Other-Password-77"}
    await post_ok(client, "/v1/auth/register", other, status=201)
    theirs = await post_ok(client, LOGIN, other)

    # when the verification is sent with the other account's token, or a stale one
    answer = await post_ok(
        client,
        "/v1/auth/verify-email",
        {"token": verification},
        headers=bearer(theirs["access_token"]),
    )

    # then the registrant is evicted as for an anonymous verifier
    assert answer["password_reset_required"] is True
    me = await client.get("/v1/auth/me", headers=bearer(squatter["access_token"]))
    assert me.status_code == 401, me.text


async def test_over_graphql_the_signed_in_registrant_keeps_the_account(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given
    mine, verification = await squat(client, mailbox)

    # when
    data = await gql_data(client, VERIFY_EMAIL, {"token": verification}, token=mine["access_token"])

    # then
    assert data["verifyEmail"]["user"] == {"email": EMAIL, "emailVerified": True}
    me = await client.get("/v1/auth/me", headers=bearer(mine["access_token"]))
    assert me.status_code == 200, me.text
