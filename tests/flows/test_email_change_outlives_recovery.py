"""Item 1: a pending email-change link dies with every recovery, and is bound to the session
that asked for it and to the password of that moment.

The attack: someone who once held the account (a squatter, a phisher) asks to move it to an
address of theirs, loses it to a recovery, then confirms the change and resets the password
through the new address.
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col

from identity.models import User, UserStatus
from tests.flows.conftest import (
    CHANGE_SUBJECT,
    MAGIC_SUBJECT,
    RESET_SUBJECT,
    VERIFY_SUBJECT,
    user_row,
)
from tests.support.app import runtime
from tests.support.audit import audit_events
from tests.support.graphql import gql_data
from tests.support.http import bearer, post_ok
from tests.support.mail import Mailbox

EMAIL = "victim@example.com"
ATTACKER = "attacker@evil.example"
PASSWORD = "SecurePassword123!"

REQUEST_EMAIL_CHANGE = """
mutation Move($input: RequestEmailChangeInput!) { requestEmailChange(input: $input) {
  __typename ... on Accepted { message } ... on Error { code field }
} }
"""
CONFIRM_EMAIL_CHANGE = """
mutation Confirm($token: String!) { confirmEmailChange(token: $token) {
  __typename
  ... on UserPayload { user { email } }
  ... on Error { code message }
} }
"""


async def signed_in(client: httpx.AsyncClient, password: str = PASSWORD) -> str:
    response = await client.post("/v1/auth/login", json={"email": EMAIL, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def pending_change(client: httpx.AsyncClient, mailbox: Mailbox, access: str) -> str:
    """The attacker, signed in, asks to move the account to their address: the token."""
    data = await gql_data(
        client,
        REQUEST_EMAIL_CHANGE,
        {"input": {"newEmail": ATTACKER, "currentPassword": PASSWORD}},
        token=access,
    )
    assert data["requestEmailChange"]["__typename"] == "Accepted", data
    return (await mailbox.next_to(ATTACKER, CHANGE_SUBJECT)).token


async def confirm(client: httpx.AsyncClient, token: str) -> dict[str, str]:
    return dict(
        (await gql_data(client, CONFIRM_EMAIL_CHANGE, {"token": token}))["confirmEmailChange"]
    )


async def assert_not_moved(app: FastAPI) -> None:
    assert await user_row(app, ATTACKER) is None
    assert await user_row(app, EMAIL) is not None


async def refusals(app: FastAPI) -> list[str]:
    return [
        str(event.details.get("reason"))
        for event in await audit_events(app)
        if event.event_type.startswith("one_time_token.")
        and event.details.get("purpose") == "email_change"
    ]


async def test_a_password_reset_kills_a_pending_email_change(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given an email change asked for by whoever held the account
    await post_ok(client, "/v1/auth/register", {"email": EMAIL, "password": PASSWORD}, status=201)
    token = await pending_change(client, mailbox, await signed_in(client))

    # when the owner recovers the account by password reset
    await post_ok(client, "/v1/auth/forgot-password", {"email": EMAIL})
    reset = (await mailbox.next_to(EMAIL, RESET_SUBJECT)).token
    await post_ok(client, "/v1/auth/reset-password", {"token": reset, "new_password": "Own-1234!"})

    # then the change can no longer be confirmed
    answer = await confirm(client, token)
    assert answer["__typename"] == "TokenInvalid", answer
    await assert_not_moved(app)
    assert await refusals(app) == ["revoked"]


async def test_revoking_all_sessions_kills_a_pending_email_change(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given an email change asked for from a session
    await post_ok(client, "/v1/auth/register", {"email": EMAIL, "password": PASSWORD}, status=201)
    access = await signed_in(client)
    token = await pending_change(client, mailbox, access)

    # when every session is revoked
    await post_ok(client, "/v1/auth/revoke-all-sessions", {}, headers=bearer(access))

    # then the change can no longer be confirmed, now or later
    assert (await confirm(client, token))["__typename"] == "TokenInvalid"
    assert (await confirm(client, token))["__typename"] == "TokenInvalid"
    await assert_not_moved(app)
    assert (await refusals(app))[0] in {"session_ended", "revoked"}


async def test_a_password_change_kills_a_pending_email_change_asked_from_the_kept_session(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given an email change asked for from the session that then changes the password
    await post_ok(client, "/v1/auth/register", {"email": EMAIL, "password": PASSWORD}, status=201)
    access = await signed_in(client)
    token = await pending_change(client, mailbox, access)

    # when the password changes (that session is kept)
    await post_ok(
        client,
        "/v1/auth/change-password",
        {"current_password": PASSWORD, "new_password": "Another-Secret-2026"},
        headers=bearer(access),
    )

    # then the change can no longer be confirmed
    assert (await confirm(client, token))["__typename"] == "TokenInvalid"
    await assert_not_moved(app)
    assert (await refusals(app))[0] in {"password_changed", "revoked"}


async def test_a_magic_link_claim_kills_the_squatters_pending_email_change(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given a squatter who registered the victim's address and asked to move it away
    await post_ok(client, "/v1/auth/register", {"email": EMAIL, "password": PASSWORD}, status=201)
    token = await pending_change(client, mailbox, await signed_in(client))

    # when the mailbox's owner signs in by link, claiming the account
    await post_ok(client, "/v1/auth/magic-link/send", {"email": EMAIL})
    link = (await mailbox.next_to(EMAIL, MAGIC_SUBJECT)).token
    await post_ok(client, "/v1/auth/magic-link/verify", {"token": link})

    # then the squatter's change can no longer be confirmed
    assert (await confirm(client, token))["__typename"] == "TokenInvalid"
    await assert_not_moved(app)


async def test_verifying_the_address_kills_the_squatters_pending_email_change(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given a squatter who registered the victim's address and asked to move it away
    await post_ok(client, "/v1/auth/register", {"email": EMAIL, "password": PASSWORD}, status=201)
    verification = (await mailbox.next_to(EMAIL, VERIFY_SUBJECT)).token
    token = await pending_change(client, mailbox, await signed_in(client))

    # when the mailbox's owner follows the registration's verification link
    await post_ok(client, "/v1/auth/verify-email", {"token": verification})

    # then the squatter's change can no longer be confirmed
    assert (await confirm(client, token))["__typename"] == "TokenInvalid"
    await assert_not_moved(app)


async def test_a_disabled_account_cannot_confirm_its_email_change(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given a pending change, then the account deactivated (as an administrator would)
    await post_ok(client, "/v1/auth/register", {"email": EMAIL, "password": PASSWORD}, status=201)
    token = await pending_change(client, mailbox, await signed_in(client))
    async with runtime(app).database.unit_of_work() as session:
        await session.execute(
            update(User)
            .where(col(User.email_key) == EMAIL)
            .values(status=UserStatus.INACTIVE, is_active=False)
        )

    # when the change is confirmed
    answer = await confirm(client, token)

    # then it is refused, and the link stays dead once the account is active again
    assert answer["__typename"] == "TokenInvalid", answer
    async with runtime(app).database.unit_of_work() as session:
        await session.execute(
            update(User)
            .where(col(User.email_key) == EMAIL)
            .values(status=UserStatus.ACTIVE, is_active=True)
        )
    assert (await confirm(client, token))["__typename"] == "TokenInvalid"
    await assert_not_moved(app)
    assert (await refusals(app))[:2] == ["account_disabled", "revoked"]


async def test_the_asking_session_still_alive_confirms_as_before(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given a pending change and nothing else happening
    await post_ok(client, "/v1/auth/register", {"email": EMAIL, "password": PASSWORD}, status=201)
    token = await pending_change(client, mailbox, await signed_in(client))

    # when it is confirmed
    answer = await confirm(client, token)

    # then the account moved
    assert answer == {"__typename": "UserPayload", "user": {"email": ATTACKER}}
    assert await user_row(app, ATTACKER) is not None
