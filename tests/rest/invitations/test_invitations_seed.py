"""Seed 003's invitations, end to end: an administrator invites, the mail arrives, the invited
person looks at the invitation and accepts it (a new account, or their signed-in one)."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from identity.services.tenants.membership import is_member
from tests.factories import add_member, add_user, new_tenant, tenant_admin, token_for
from tests.support.app import runtime
from tests.support.audit import audit_events
from tests.support.http import assert_error, assert_fields, bearer, post_ok
from tests.support.invitations import (
    ACCEPT,
    LIST,
    SUBJECT,
    VALIDATE,
    holds,
    invitation_row,
    invite,
    mailed_token,
    new_account,
    one,
    tenant_role,
)
from tests.support.mail import FRONTEND, Mailbox

EMAIL = "jane@example.com"
INVITATION_FIELDS = {
    "id",
    "tenant_id",
    "tenant_name",
    "email",
    "role_id",
    "role_name",
    "message",
    "status",
    "invited_by",
    "invited_by_name",
    "resend_count",
    "expires_at",
    "created_at",
}


async def is_member_of(app: FastAPI, tenant_id: object, user_id: object) -> bool:
    async with runtime(app).database.read() as session:
        return await is_member(session, uuid.UUID(str(tenant_id)), uuid.UUID(str(user_id)))


async def test_an_invited_address_gets_an_account_in_the_tenant_with_its_role(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given a tenant, its administrator and one of its roles
    tenant_id = await new_tenant(app, "acme", name="Acme Corp")
    admin = await tenant_admin(app, tenant_id)
    role_id = await tenant_role(app, tenant_id, "engineer")

    # when the administrator invites an address with the role and a message
    created = await invite(
        client, admin.token, EMAIL, role_id=str(role_id), message="Welcome aboard!"
    )

    # then the invitation is pending for 7 days and the mail carries a link and the token
    assert_fields(created, INVITATION_FIELDS)
    assert created["status"] == "pending"
    assert created["tenant_id"] == str(tenant_id)
    assert created["role_name"] == "engineer"
    assert "token" not in created
    assert "token_hash" not in created
    mail = await mailbox.next_to(EMAIL, SUBJECT)
    assert mail.link("accept-invitation") in mail.text
    assert "Acme" not in mail.text
    assert "Welcome aboard" not in mail.text
    assert "7 days" in mail.text

    # when the token's holder looks at it
    preview = await post_ok(client, VALIDATE, {"token": mail.token})

    # then they see the tenant, the inviter, the masked address, the role and the expiry
    assert preview["tenant_name"] == "Acme Corp"
    assert preview["email"] == "j***@example.com"
    assert preview["role_name"] == "engineer"
    assert preview["message"] == "Welcome aboard!"
    assert preview["expires_at"] == created["expires_at"]

    # when they accept with a password and a profile
    accepted = await post_ok(
        client, ACCEPT, new_account(mail.token, first_name="Jane", last_name="Doe", username="jane")
    )

    # then it answers like a login, the account is verified, a member, holding the role
    assert accepted["account_created"] is True
    assert_fields(accepted, {"access_token", "refresh_token", "tokens", "user", "tenant"})
    assert accepted["user"]["email"] == EMAIL
    assert accepted["user"]["email_verified"] is True
    assert accepted["user"]["username"] == "jane"
    assert accepted["tenant"] == {"id": str(tenant_id), "name": "Acme Corp", "slug": "acme"}
    assert accepted["invitation"]["status"] == "accepted"
    user_id = accepted["user"]["id"]
    assert await is_member_of(app, tenant_id, user_id)
    assert await holds(app, uuid.UUID(user_id), role_id)
    me = await client.get("/v1/auth/me", headers=bearer(accepted["access_token"]))
    assert me.status_code == 200, me.text

    # and the token is spent: replaying it is refused, so is looking at it
    assert_error(await client.post(ACCEPT, json=new_account(mail.token)), 404, "INVITATION_INVALID")
    assert_error(await client.post(VALIDATE, json={"token": mail.token}), 404, "INVITATION_INVALID")
    events = [event.event_type for event in await audit_events(app)]
    assert "invitation.created" in events
    assert "invitation.accepted" in events
    row = await invitation_row(app, created["id"])
    assert row.accepted_by is not None
    assert str(row.accepted_by) == user_id


async def test_a_signed_in_account_of_the_address_joins_without_a_new_account(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    tenant_id = await new_tenant(app, "globex")
    admin = await tenant_admin(app, tenant_id)
    user_id = await add_user(app, "Jane@Example.com")
    created = await invite(client, admin.token, "jane@example.com")
    token = await mailed_token(mailbox, "jane@example.com")

    # without signing in, the address's account is not duplicated: sign in first
    assert_error(
        await client.post(ACCEPT, json=new_account(token)), 409, "INVITATION_SIGN_IN_REQUIRED"
    )
    # signed in to another account: refused alike
    stranger = await token_for(app, await add_user(app))
    refused = await client.post(ACCEPT, json={"token": token}, headers=bearer(stranger))
    assert_error(refused, 409, "INVITATION_SIGN_IN_REQUIRED")

    # signed in to the account of the address (another letter case): it joins
    accepted = await post_ok(
        client, ACCEPT, {"token": token}, headers=bearer(await token_for(app, user_id))
    )
    assert accepted["account_created"] is False
    assert "access_token" not in accepted
    assert accepted["user"]["id"] == str(user_id)
    assert await is_member_of(app, tenant_id, user_id)
    assert (await invitation_row(app, created["id"])).status == "accepted"


async def test_administrators_list_get_revoke_and_resend(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    tenant_id = await new_tenant(app, "initech")
    admin = await tenant_admin(app, tenant_id)
    first = await invite(client, admin.token, "a@example.com")
    second = await invite(client, admin.token, "b@example.com", expires_in_days=30)
    old = await mailed_token(mailbox, "b@example.com")

    listed = (await client.get(LIST, headers=admin.headers)).json()
    assert listed["total"] == 2
    assert {one["id"] for one in listed["invitations"]} == {first["id"], second["id"]}
    got = await client.get(one(first["id"]), headers=admin.headers)
    assert got.json()["email"] == "a@example.com"

    # revoke: the invitation is revoked, its token dead, revoking again is refused
    revoked = await client.delete(one(first["id"]), headers=admin.headers)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"
    assert_error(
        await client.delete(one(first["id"]), headers=admin.headers), 409, "INVITATION_NOT_PENDING"
    )
    by_status = await client.get(LIST, params={"status": "revoked"}, headers=admin.headers)
    assert [one["id"] for one in by_status.json()["invitations"]] == [first["id"]]

    # resend: a new token, the old one stops working
    resent = await post_ok(client, one(second["id"]) + "/resend", headers=admin.headers)
    assert resent["resend_count"] == 1
    new = await mailed_token(mailbox, "b@example.com")
    assert new != old
    assert_error(await client.post(VALIDATE, json={"token": old}), 404, "INVITATION_INVALID")
    assert (await post_ok(client, VALIDATE, {"token": new}))["email"] == "b***@example.com"
    assert FRONTEND


async def test_creating_again_for_a_pending_address_is_a_conflict(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    tenant_id = await new_tenant(app, "umbrella")
    admin = await tenant_admin(app, tenant_id)
    created = await invite(client, admin.token, "x@example.com")
    again = await client.post(LIST, json={"email": "X@example.com"}, headers=admin.headers)
    error = assert_error(again, 409, "INVITATION_PENDING")
    assert error["details"]["invitation_id"] == created["id"]
    member = await add_user(app, "member@example.com")
    await add_member(app, tenant_id, member)
    assert_error(
        await client.post(LIST, json={"email": "member@example.com"}, headers=admin.headers),
        409,
        "ALREADY_MEMBER",
    )
