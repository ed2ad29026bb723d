"""Every first factor over GraphQL stops at the second one: a sign-in link of an account
with MFA answers MfaRequired, a link that signs a new account up while MFA is enforced
answers MfaEnrollmentRequired, and another user's trusted-device token skips nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from identity.models import TokenPurpose
from identity.services import one_time
from identity.web.cookies import REFRESH_COOKIE
from tests.factories import ACCOUNT_PASSWORD, set_setting
from tests.support.app import runtime
from tests.support.clocks import install_clock
from tests.support.graphql import gql_field
from tests.support.mfa_login import challenges, mfa_user, steady

VERIFY = """
mutation($input: VerifyMagicLinkInput!) {
  verifyMagicLink(input: $input) {
    __typename
    ... on MfaRequired { mfaToken methods }
    ... on MfaEnrollmentRequired { enrollmentToken }
    ... on AuthPayload { accessToken }
  }
}
"""
LOGIN = """
mutation($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on MfaRequired { mfaToken }
    ... on AuthPayload { accessToken }
  }
}
"""
COMPLETE = """
mutation($input: CompleteMfaLoginInput!) {
  completeMfaLogin(input: $input) { __typename ... on AuthPayload { accessToken } }
}
"""
TRUST = "mutation { trustDevice { __typename ... on DeviceTrusted { deviceToken } } }"


async def _link(app: FastAPI, email: str, user_id: uuid.UUID | None) -> str:
    deps = runtime(app).deps
    async with deps.database.unit_of_work() as session:
        return await one_time.issue(
            session,
            purpose=TokenPurpose.MAGIC_LINK,
            email=email,
            user_id=user_id,
            now=deps.clock.now(),
            lifetime=timedelta(minutes=15),
        )


async def test_a_sign_in_link_of_an_account_with_mfa_opens_no_session(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app)
    link = await _link(app, user.email, user.id)
    answer = await gql_field(client, VERIFY, {"input": {"token": link}})
    assert answer["__typename"] == "MfaRequired", answer
    assert REFRESH_COOKIE not in client.cookies
    [row] = await challenges(app, user.id)
    assert row.first_factor == "magic_link"


async def test_a_link_that_signs_up_while_mfa_is_enforced_asks_for_enrolment(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await set_setting(app, client, "mfa_required_for", "all")
    email = f"link-signup-{uuid.uuid4().hex[:8]}@example.com"
    link = await _link(app, email, None)
    answer = await gql_field(client, VERIFY, {"input": {"token": link, "allowRegistration": True}})
    assert answer["__typename"] == "MfaEnrollmentRequired", answer


async def test_another_users_trusted_device_skips_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    alice, mallory = await mfa_user(app), await mfa_user(app)
    moment = steady(clock)
    step = await gql_field(
        client, LOGIN, {"input": {"identifier": mallory.email, "password": ACCOUNT_PASSWORD}}
    )
    done = await gql_field(
        client,
        COMPLETE,
        {"input": {"mfaToken": step["mfaToken"], "method": "totp", "code": mallory.code(moment)}},
    )
    assert done["__typename"] == "AuthPayload", done
    trusted: dict[str, Any] = await gql_field(client, TRUST, token=done["accessToken"])
    assert trusted["__typename"] == "DeviceTrusted", trusted
    for identifier, expected in ((alice.email, "MfaRequired"), (mallory.email, "AuthPayload")):
        answer = await gql_field(
            client,
            LOGIN,
            {
                "input": {
                    "identifier": identifier,
                    "password": ACCOUNT_PASSWORD,
                    "deviceToken": trusted["deviceToken"],
                }
            },
        )
        assert answer["__typename"] == expected, (identifier, answer)
