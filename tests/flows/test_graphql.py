"""The mailed-link mutations over GraphQL, each completed with the token of a real mail."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from tests.flows.conftest import (
    CHANGE_SUBJECT,
    CHANGED_SUBJECT,
    MAGIC_SUBJECT,
    RESET_SUBJECT,
    VERIFY_SUBJECT,
    ShiftedClock,
    queued_to,
    settled,
    user_row,
)
from tests.support.audit import audit_events
from tests.support.graphql import gql_data
from tests.support.mail import Mailbox

EMAIL = "spa@example.com"
NEW_EMAIL = "renamed@example.com"
TAKEN = "taken@example.com"
UNKNOWN = "nobody@example.com"
PASSWORD = "SecurePassword123!"

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) { __typename ... on Error { code } }
}
"""
LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on AuthPayload { accessToken refreshToken }
    ... on Error { code }
  }
}
"""
ME = "{ me { email emailVerified } }"
SEND_VERIFICATION = """
mutation { sendVerificationEmail {
  __typename ... on Accepted { message } ... on Error { code message }
} }
"""
RESEND_VERIFICATION = """
mutation Resend($email: String!) { resendVerificationEmail(email: $email) {
  __typename ... on Accepted { message } ... on Error { code }
} }
"""
VERIFY_EMAIL = """
mutation Verify($token: String!) { verifyEmail(token: $token) {
  __typename
  ... on UserPayload { user { email emailVerified } }
  ... on Error { code message }
} }
"""
REQUEST_PASSWORD_RESET = """
mutation Forgot($email: String!) { requestPasswordReset(email: $email) {
  __typename ... on Accepted { message } ... on Error { code }
} }
"""
RESET_PASSWORD = """
mutation Reset($input: ResetPasswordInput!) { resetPassword(input: $input) {
  __typename
  ... on SessionsRevoked { revoked }
  ... on Error { code field }
} }
"""
REQUEST_MAGIC_LINK = """
mutation Send($email: String!) { requestMagicLink(email: $email) {
  __typename ... on Accepted { message } ... on Error { code }
} }
"""
VERIFY_MAGIC_LINK = """
mutation SignIn($input: VerifyMagicLinkInput!) { verifyMagicLink(input: $input) {
  __typename
  ... on AuthPayload { accessToken refreshToken user { email emailVerified } }
  ... on Error { code }
} }
"""
REQUEST_EMAIL_CHANGE = """
mutation Move($input: RequestEmailChangeInput!) { requestEmailChange(input: $input) {
  __typename ... on Accepted { message } ... on Error { code field }
} }
"""
CONFIRM_EMAIL_CHANGE = """
mutation Confirm($token: String!) { confirmEmailChange(token: $token) {
  __typename
  ... on UserPayload { user { email emailVerified } }
  ... on Error { code }
} }
"""


async def register(client: httpx.AsyncClient, email: str = EMAIL) -> None:
    data = await gql_data(client, REGISTER, {"input": {"email": email, "password": PASSWORD}})
    assert data["register"]["__typename"] == "RegisterPayload", data


async def log_in(
    client: httpx.AsyncClient, email: str = EMAIL, password: str = PASSWORD
) -> dict[str, Any]:
    data = await gql_data(client, LOGIN, {"input": {"identifier": email, "password": password}})
    return dict(data["login"])


async def me(client: httpx.AsyncClient, token: str) -> dict[str, Any] | None:
    data = await gql_data(client, ME, token=token)
    return data["me"]  # type: ignore[no-any-return]


async def test_send_verification_email_then_verify_email(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given a signed-in account whose registration mail is unused
    await register(client)
    first = await mailbox.next_to(EMAIL, VERIFY_SUBJECT)
    access = (await log_in(client))["accessToken"]

    # when it asks for another mail (anonymous callers may not) and verifies with it
    anonymous = (await client.post("/graphql", json={"query": SEND_VERIFICATION})).json()
    sent = await gql_data(client, SEND_VERIFICATION, token=access)
    second = await mailbox.next_to(EMAIL, VERIFY_SUBJECT)
    verified = await gql_data(client, VERIFY_EMAIL, {"token": second.token})

    # then
    assert anonymous["data"] is None
    assert anonymous["errors"][0]["extensions"]["code"] == "AUTHENTICATION_REQUIRED"
    assert sent["sendVerificationEmail"]["__typename"] == "Accepted"
    assert verified["verifyEmail"] == {
        "__typename": "UserPayload",
        "user": {"email": EMAIL, "emailVerified": True},
    }
    ended = await client.post(
        "/graphql", json={"query": ME}, headers={"authorization": f"Bearer {access}"}
    )
    assert ended.json()["errors"][0]["extensions"]["code"] == "TOKEN_INVALID"  # claimed
    replaced = await gql_data(client, VERIFY_EMAIL, {"token": first.token})
    assert replaced["verifyEmail"]["__typename"] == "TokenInvalid"
    replayed = await gql_data(client, VERIFY_EMAIL, {"token": second.token})
    assert replayed["verifyEmail"]["code"] == "TOKEN_INVALID"
    # the owner sets a password through a reset, as the verifyEmail description says
    await gql_data(client, REQUEST_PASSWORD_RESET, {"email": EMAIL})
    reset = (await mailbox.next_to(EMAIL, RESET_SUBJECT)).token
    await gql_data(
        client, RESET_PASSWORD, {"input": {"token": reset, "newPassword": "Owner-pass-4242"}}
    )
    access = (await log_in(client, password="Owner-pass-4242"))["accessToken"]
    assert await me(client, access) == {"email": EMAIL, "emailVerified": True}
    again = await gql_data(client, SEND_VERIFICATION, token=access)
    assert again["sendVerificationEmail"]["__typename"] == "AlreadyVerified"
    assert again["sendVerificationEmail"]["code"] == "EMAIL_ALREADY_VERIFIED"


async def test_resend_verification_email_answers_alike_and_mails_only_accounts(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given an unverified account
    await register(client)
    await mailbox.next_to(EMAIL, VERIFY_SUBJECT)

    # when a mail is asked for it and for an unknown address
    known = await gql_data(client, RESEND_VERIFICATION, {"email": EMAIL})
    unknown = await gql_data(client, RESEND_VERIFICATION, {"email": UNKNOWN})

    # then the answers are the same; the account's new mail verifies it
    assert known == unknown
    assert known["resendVerificationEmail"]["__typename"] == "Accepted"
    mail = await mailbox.next_to(EMAIL, VERIFY_SUBJECT)
    verified = await gql_data(client, VERIFY_EMAIL, {"token": mail.token})
    assert verified["verifyEmail"]["__typename"] == "UserPayload"
    await settled(app)
    assert mailbox.received_by(UNKNOWN) == []


async def test_request_password_reset_then_reset_password(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given a signed-in account
    await register(client)
    session = await log_in(client)

    # when a reset is asked for (and for an unknown address), then made with the mailed token
    known = await gql_data(client, REQUEST_PASSWORD_RESET, {"email": EMAIL})
    unknown = await gql_data(client, REQUEST_PASSWORD_RESET, {"email": UNKNOWN})
    token = (await mailbox.next_to(EMAIL, RESET_SUBJECT)).token
    weak = await gql_data(
        client, RESET_PASSWORD, {"input": {"token": token, "newPassword": "password"}}
    )
    reset = await gql_data(
        client, RESET_PASSWORD, {"input": {"token": token, "newPassword": "Brand-new-pass-42"}}
    )

    # then the weak password was refused without using the token; the reset ended the session
    assert known == unknown
    assert weak["resetPassword"] == {
        "__typename": "ValidationError",
        "code": "PASSWORD_TOO_COMMON",
        "field": "new_password",
    }
    assert reset["resetPassword"] == {"__typename": "SessionsRevoked", "revoked": 1}
    ended = await client.post(
        "/graphql",
        json={"query": ME},
        headers={"authorization": f"Bearer {session['accessToken']}"},
    )
    assert ended.json()["errors"][0]["extensions"]["code"] == "TOKEN_INVALID"
    assert (await log_in(client))["code"] == "INVALID_CREDENTIALS"
    assert (await log_in(client, password="Brand-new-pass-42"))["__typename"] == "AuthPayload"
    replayed = await gql_data(
        client, RESET_PASSWORD, {"input": {"token": token, "newPassword": "Other-pass-4242"}}
    )
    assert replayed["resetPassword"]["code"] == "TOKEN_INVALID"
    await settled(app)
    assert await queued_to(app, UNKNOWN) == []


async def test_request_magic_link_then_verify_magic_link(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given an account, and a sign-in link for it and for an unknown address
    await register(client)
    known = await gql_data(client, REQUEST_MAGIC_LINK, {"email": EMAIL})
    unknown = await gql_data(client, REQUEST_MAGIC_LINK, {"email": UNKNOWN})
    token = (await mailbox.next_to(EMAIL, MAGIC_SUBJECT)).token
    sign_up = (await mailbox.next_to(UNKNOWN, MAGIC_SUBJECT)).token

    # when each is sent back
    signed_in = await gql_data(client, VERIFY_MAGIC_LINK, {"input": {"token": token}})
    not_found = await gql_data(client, VERIFY_MAGIC_LINK, {"input": {"token": sign_up}})
    signed_up = await gql_data(
        client, VERIFY_MAGIC_LINK, {"input": {"token": sign_up, "allowRegistration": True}}
    )

    # then the account signs in, the newcomer only when it asks to sign up
    assert known == unknown
    payload = signed_in["verifyMagicLink"]
    assert payload["__typename"] == "AuthPayload"
    assert payload["refreshToken"]
    assert await me(client, payload["accessToken"]) == {"email": EMAIL, "emailVerified": True}
    assert not_found["verifyMagicLink"] == {
        "__typename": "AccountNotFound",
        "code": "ACCOUNT_NOT_FOUND",
    }
    assert signed_up["verifyMagicLink"]["user"] == {"email": UNKNOWN, "emailVerified": True}


async def test_request_email_change_then_confirm_email_change(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given a signed-in account, and another account holding an address
    await register(client)
    await register(client, TAKEN)
    access = (await log_in(client))["accessToken"]

    # when it asks to move: with a wrong password, to a taken address, then properly
    wrong = await gql_data(
        client,
        REQUEST_EMAIL_CHANGE,
        {"input": {"newEmail": NEW_EMAIL, "currentPassword": "Not-my-password-1"}},
        token=access,
    )
    taken = await gql_data(
        client,
        REQUEST_EMAIL_CHANGE,
        {"input": {"newEmail": TAKEN, "currentPassword": PASSWORD}},
        token=access,
    )
    asked = await gql_data(
        client,
        REQUEST_EMAIL_CHANGE,
        {"input": {"newEmail": NEW_EMAIL, "currentPassword": PASSWORD}},
        token=access,
    )
    confirmation = await mailbox.next_to(NEW_EMAIL, CHANGE_SUBJECT)
    unchanged_meanwhile = await me(client, access)
    confirmed = await gql_data(client, CONFIRM_EMAIL_CHANGE, {"token": confirmation.token})

    # then only the proper request mailed the new address, whose link moved the account
    assert wrong["requestEmailChange"]["__typename"] == "InvalidCredentials"
    assert taken["requestEmailChange"] == {
        "__typename": "Conflict",
        "code": "RESOURCE_CONFLICT",
        "field": "new_email",
    }
    assert asked["requestEmailChange"]["__typename"] == "Accepted"
    assert NEW_EMAIL in confirmation.text
    assert unchanged_meanwhile == {"email": EMAIL, "emailVerified": False}
    assert confirmed["confirmEmailChange"] == {
        "__typename": "UserPayload",
        "user": {"email": NEW_EMAIL, "emailVerified": True},
    }
    assert await me(client, access) == {"email": NEW_EMAIL, "emailVerified": True}
    notice = await mailbox.next_to(EMAIL, CHANGED_SUBJECT)
    assert NEW_EMAIL in notice.text
    assert (await log_in(client, NEW_EMAIL))["__typename"] == "AuthPayload"
    assert (await log_in(client, EMAIL))["code"] == "INVALID_CREDENTIALS"
    replayed = await gql_data(client, CONFIRM_EMAIL_CHANGE, {"token": confirmation.token})
    assert replayed["confirmEmailChange"]["code"] == "TOKEN_INVALID"
    await settled(app)
    assert [mail.subject for mail in mailbox.received_by(TAKEN)] == [VERIFY_SUBJECT]
    assert [mail.subject for mail in mailbox.received_by(NEW_EMAIL)] == [CHANGE_SUBJECT]
    changes = [
        (event.event_type, event.details)
        for event in await audit_events(app)
        if event.event_type.startswith("email.change")
    ]
    assert changes == [
        ("email.change_requested", {"new_email": NEW_EMAIL}),
        ("email.changed", {"old_email": EMAIL, "new_email": NEW_EMAIL}),
    ]


async def test_an_expired_email_change_link_moves_nothing(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI, clock: ShiftedClock
) -> None:
    # given a confirmation mail older than email_change_hours (24)
    await register(client)
    access = (await log_in(client))["accessToken"]
    await gql_data(
        client,
        REQUEST_EMAIL_CHANGE,
        {"input": {"newEmail": NEW_EMAIL, "currentPassword": PASSWORD}},
        token=access,
    )
    token = (await mailbox.next_to(NEW_EMAIL, CHANGE_SUBJECT)).token
    clock.advance(hours=24, seconds=1)

    # when
    confirmed = await gql_data(client, CONFIRM_EMAIL_CHANGE, {"token": token})

    # then
    assert confirmed["confirmEmailChange"]["__typename"] == "TokenExpired"
    assert await user_row(app, NEW_EMAIL) is None
    assert await user_row(app, EMAIL) is not None
    await settled(app)
    assert [mail.subject for mail in mailbox.received_by(EMAIL)] == [VERIFY_SUBJECT]
