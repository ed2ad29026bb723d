"""Invitations over GraphQL: the same service as REST, each mutation with its own result union,
refusals as the union's error members (the public look at a token: an error with its code)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.factories import new_tenant, tenant_admin
from tests.support.graphql import gql
from tests.support.invitations import NEW_PASSWORD, invitation_row, mailed_token, tenant_role
from tests.support.mail import Mailbox

EMAIL = "jane@example.com"
INVITATION = "invitation { id email status roleName tenantName resendCount expiresAt }"
CREATE = f"""
mutation($input: CreateInvitationInput!) {{
  createInvitation(input: $input) {{
    __typename
    ... on InvitationPayload {{ {INVITATION} }}
    ... on Error {{ code message field }}
  }}
}}
"""
LIST = (
    "query($status: InvitationStatus) "
    "{ invitations(status: $status) { total items { id status } } }"
)
PREVIEW = """
query($token: String!) {
  invitation(token: $token) { tenantName invitedByName email roleName message expiresAt }
}
"""
ACCEPT = """
mutation($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) {
    __typename
    ... on InvitationAccepted {
      accountCreated tenantId user { email emailVerified } invitation { status }
      tokens { accessToken refreshToken }
    }
    ... on Error { code message }
  }
}
"""
REVOKE = """
mutation($id: ID!) {
  revokeInvitation(id: $id) {
    __typename ... on InvitationPayload { invitation { status } } ... on Error { code }
  }
}
"""
RESEND = """
mutation($id: ID!) {
  resendInvitation(id: $id) {
    __typename ... on InvitationPayload { invitation { resendCount } } ... on Error { code }
  }
}
"""


async def test_invite_look_and_accept_over_graphql(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    tenant_id = await new_tenant(app, "acme", name="Acme")
    admin = await tenant_admin(app, tenant_id)
    role_id = await tenant_role(app, tenant_id, "engineer")

    created = (
        await gql(
            client,
            CREATE,
            {"input": {"email": EMAIL, "roleId": str(role_id), "message": "Hello"}},
            token=admin.token,
        )
    )["data"]["createInvitation"]
    assert created["__typename"] == "InvitationPayload", created
    assert created["invitation"]["status"] == "PENDING"
    assert created["invitation"]["roleName"] == "engineer"
    again = await gql(client, CREATE, {"input": {"email": EMAIL}}, token=admin.token)
    assert again["data"]["createInvitation"]["code"] == "INVITATION_PENDING"
    listed = await gql(client, LIST, {"status": "PENDING"}, token=admin.token)
    assert listed["data"]["invitations"]["total"] == 1

    token = await mailed_token(mailbox, EMAIL)
    preview = (await gql(client, PREVIEW, {"token": token}))["data"]["invitation"]
    assert preview["tenantName"] == "Acme"
    assert preview["email"] == "j***@example.com"
    assert preview["message"] == "Hello"

    accepted = (await gql(client, ACCEPT, {"input": {"token": token, "password": NEW_PASSWORD}}))[
        "data"
    ]["acceptInvitation"]
    assert accepted["__typename"] == "InvitationAccepted", accepted
    assert accepted["accountCreated"] is True
    assert accepted["tenantId"] == str(tenant_id)
    assert accepted["user"] == {"email": EMAIL, "emailVerified": True}
    assert accepted["invitation"]["status"] == "ACCEPTED"
    assert accepted["tokens"]["accessToken"]

    replay = await gql(client, ACCEPT, {"input": {"token": token, "password": NEW_PASSWORD}})
    assert replay["data"]["acceptInvitation"]["__typename"] == "TokenInvalid"
    assert replay["data"]["acceptInvitation"]["code"] == "INVITATION_INVALID"
    refused = await gql(client, PREVIEW, {"token": token})
    assert refused == {"data": {"invitation": None}}


async def test_revoke_and_resend_over_graphql(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    tenant_id = await new_tenant(app)
    admin = await tenant_admin(app, tenant_id)
    first = (await gql(client, CREATE, {"input": {"email": "a@example.com"}}, token=admin.token))[
        "data"
    ]["createInvitation"]["invitation"]
    second = (await gql(client, CREATE, {"input": {"email": "b@example.com"}}, token=admin.token))[
        "data"
    ]["createInvitation"]["invitation"]
    old = await mailed_token(mailbox, "b@example.com")

    revoked = await gql(client, REVOKE, {"id": first["id"]}, token=admin.token)
    assert revoked["data"]["revokeInvitation"]["invitation"]["status"] == "REVOKED"
    twice = await gql(client, REVOKE, {"id": first["id"]}, token=admin.token)
    assert twice["data"]["revokeInvitation"]["code"] == "INVITATION_NOT_PENDING"
    unknown = await gql(client, REVOKE, {"id": "not-an-id"}, token=admin.token)
    assert unknown["data"]["revokeInvitation"]["__typename"] == "NotFound"

    resent = await gql(client, RESEND, {"id": second["id"]}, token=admin.token)
    assert resent["data"]["resendInvitation"]["invitation"]["resendCount"] == 1
    assert await mailed_token(mailbox, "b@example.com") != old
    dead = await gql(client, PREVIEW, {"token": old})
    assert dead == {"data": {"invitation": None}}
    assert (await invitation_row(app, first["id"])).status == "revoked"


async def test_a_full_tenant_and_a_missing_password_are_union_members(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    tenant_id = await new_tenant(app, max_users=1)
    admin = await tenant_admin(app, tenant_id)
    await gql(client, CREATE, {"input": {"email": EMAIL}}, token=admin.token)
    token = await mailed_token(mailbox, EMAIL)

    full = await gql(client, ACCEPT, {"input": {"token": token, "password": NEW_PASSWORD}})
    assert full["data"]["acceptInvitation"]["code"] == "TENANT_FULL"
    missing = await gql(client, ACCEPT, {"input": {"token": token}})
    assert missing["data"]["acceptInvitation"]["__typename"] == "ValidationError"
