"""Enforced MFA over GraphQL (red team): ``acceptInvitation`` creating an account and a forced
``changePassword`` answer an enrolment token, not a session, while MFA is required."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.factories import ACCOUNT_PASSWORD, add_user, new_tenant, set_setting, tenant_admin
from tests.flows.conftest import clock, mailbox, make_flow_settings, settings, smtp
from tests.support.app import runtime
from tests.support.graphql import gql
from tests.support.invitations import invite, mailed_token, new_account
from tests.support.mail import Mailbox

__all__ = ["clock", "mailbox", "make_flow_settings", "settings", "smtp"]

ACCEPT = """
mutation($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) {
    __typename
    ... on InvitationAccepted {
      accountCreated tokens { accessToken } mfaEnrollment { enrollmentToken userId }
    }
  }
}
"""
LOGIN = """
mutation($input: LoginInput!) {
  login(input: $input) {
    __typename ... on PasswordChangeRequired { accessToken } ... on AuthPayload { accessToken }
  }
}
"""
CHANGE = """
mutation($input: ChangePasswordInput!) {
  changePassword(input: $input) {
    __typename
    ... on PasswordChanged { tokens { accessToken } }
    ... on MfaEnrollmentRequired { enrollmentToken }
  }
}
"""


async def test_accept_invitation_answers_an_enrolment(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    admin = await tenant_admin(app, await new_tenant(app))
    await set_setting(app, client, "mfa_required_for", "all")
    await invite(client, admin.token, "gql-newbie@example.com")
    token = await mailed_token(mailbox, "gql-newbie@example.com")
    answer = (await gql(client, ACCEPT, {"input": new_account(token)}))["data"]["acceptInvitation"]
    assert answer["__typename"] == "InvitationAccepted", answer
    assert answer["accountCreated"] is True
    assert answer["tokens"] is None
    assert answer["mfaEnrollment"]["enrollmentToken"].startswith("mfe_")


async def test_a_forced_password_change_answers_an_enrolment(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await set_setting(app, client, "mfa_required_for", "all")
    email = "gql-must-change@example.com"
    await add_user(
        app,
        email,
        password_hash=await runtime(app).deps.hasher.hash(ACCOUNT_PASSWORD),
        email_verified=True,
        must_change_password=True,
    )
    login = (
        await gql(client, LOGIN, {"input": {"identifier": email, "password": ACCOUNT_PASSWORD}})
    )["data"]["login"]
    assert login["__typename"] == "PasswordChangeRequired", login
    changed = await gql(
        client,
        CHANGE,
        {"input": {"currentPassword": ACCOUNT_PASSWORD, "newPassword": "Brand-New-Pass-2026!"}},
        token=login["accessToken"],
    )
    answer = changed["data"]["changePassword"]
    assert answer["__typename"] == "MfaEnrollmentRequired", answer
    assert answer["enrollmentToken"].startswith("mfe_")
