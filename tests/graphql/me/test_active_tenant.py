"""The active tenant over GraphQL: login with ``organizationSlug``, ``me { tenants
activeTenant }``, ``switchTenant`` (new tokens for the same session; the old ones stop
working; not a member: NotFound), and a tenant admin's users and roles. SQLite and
PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import jwt as pyjwt
from fastapi import FastAPI

from tests.factories import (
    ACCOUNT_PASSWORD,
    add_member,
    new_tenant,
    register,
    tenant_admin,
    tenant_member,
)
from tests.support.graphql import gql, gql_field
from tests.support.snapshot import snapshot

LOGIN = """mutation($input: LoginInput!) { login(input: $input) {
  __typename
  ... on AuthPayload { accessToken refreshToken }
  ... on Error { code message }
} }"""
ME = "{ me { id tenants { id slug } activeTenant { id slug } } }"
SWITCH = """mutation($id: ID) { switchTenant(tenantId: $id) {
  __typename
  ... on AuthPayload { accessToken refreshToken }
  ... on Error { code message }
} }"""
USERS = "{ users(first: 50) { totalCount edges { node { id } } } }"
USER = "query($id: ID!) { user(id: $id) { id } }"
UPDATE = """mutation($id: ID!) { updateUser(id: $id, input: {firstName: "Taken"}) {
  __typename ... on Error { code }
} }"""
DELETE = """mutation($id: ID!) { deleteUser(id: $id) { __typename ... on Error { code } } }"""
LOCK = """mutation($id: ID!) { lockUser(id: $id) { __typename ... on Error { code } } }"""
ROLE = "query($id: ID!) { role(id: $id) { id } }"
UPDATE_ROLE = """mutation($id: ID!) { updateRole(id: $id, input: {description: "x"}) {
  __typename ... on Error { code }
} }"""
DELETE_ROLE = """mutation($id: ID!) { deleteRole(id: $id) { __typename ... on Error { code } } }"""
ASSIGN = """mutation($user: ID!, $role: ID!) {
  assignUserRoles(userId: $user, roleIds: [$role]) { __typename ... on Error { code } }
}"""


def tid(token: str) -> str | None:
    claims: dict[str, Any] = pyjwt.decode(token, options={"verify_signature": False})
    return claims.get("tid")


async def member_login(
    app: FastAPI, client: httpx.AsyncClient, *tenants: uuid.UUID, slug: str | None = None
) -> dict[str, Any]:
    email = f"g{uuid.uuid4().hex[:10]}@example.com"
    user_id = uuid.UUID((await register(client, email)).json()["id"])
    for tenant_id in tenants:
        await add_member(app, tenant_id, user_id)
    found = await gql_field(
        client,
        LOGIN,
        {"input": {"identifier": email, "password": ACCOUNT_PASSWORD, "organizationSlug": slug}},
    )
    return found


async def test_login_slug_me_tenants_and_switching(app: FastAPI, client: httpx.AsyncClient) -> None:
    one = await new_tenant(app, "gql-one")
    two = await new_tenant(app, "gql-two")
    elsewhere = await new_tenant(app, "gql-elsewhere")
    tokens = await member_login(app, client, one, two, slug="gql-two")
    assert tokens["__typename"] == "AuthPayload", tokens
    assert tid(tokens["accessToken"]) == str(two)

    me = await gql_field(client, ME, token=tokens["accessToken"])
    assert [tenant["slug"] for tenant in me["tenants"]] == ["gql-one", "gql-two"]
    assert me["activeTenant"]["slug"] == "gql-two"

    switched = await gql_field(client, SWITCH, {"id": str(one)}, token=tokens["accessToken"])
    assert switched["__typename"] == "AuthPayload", switched
    assert tid(switched["accessToken"]) == str(one)
    me = await gql_field(client, ME, token=switched["accessToken"])
    assert me["activeTenant"]["slug"] == "gql-one"
    old = await gql(client, ME, token=tokens["accessToken"])
    assert old["errors"][0]["extensions"]["code"] == "TOKEN_INVALID"
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refreshToken"]}
    )
    assert refreshed.status_code == 401  # the session's earlier refresh tokens were retired

    refused = await gql_field(client, SWITCH, {"id": str(elsewhere)}, token=switched["accessToken"])
    assert refused["__typename"] == "NotFound", refused
    unknown = await gql_field(
        client, SWITCH, {"id": str(uuid.uuid4())}, token=switched["accessToken"]
    )
    assert unknown["__typename"] == "NotFound", unknown
    still = await gql_field(client, ME, token=switched["accessToken"])
    assert still["activeTenant"]["slug"] == "gql-one"

    none = await gql_field(client, SWITCH, {"id": None}, token=switched["accessToken"])
    assert none["__typename"] == "AuthPayload", none
    assert tid(none["accessToken"]) is None
    assert (await gql_field(client, ME, token=none["accessToken"]))["activeTenant"] is None


async def test_a_login_slug_not_ones_own_is_a_wrong_password(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    mine = await new_tenant(app)
    await new_tenant(app, "not-mine")
    refused = await member_login(app, client, mine, slug="not-mine")
    assert refused["__typename"] == "InvalidCredentials", refused


async def test_a_tenant_admin_sees_and_changes_their_members_only(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    a = await new_tenant(app)
    b = await new_tenant(app)
    admin_a = await tenant_admin(app, a)
    member_a = await tenant_member(app, a)
    member_b = await tenant_member(app, b)
    admin_b = await tenant_admin(app, b)

    page = await gql_field(client, USERS, token=admin_a.token)
    assert page["totalCount"] == 2
    assert {edge["node"]["id"] for edge in page["edges"]} == {str(admin_a.id), str(member_a.id)}

    assert (await gql_field(client, USER, {"id": str(member_b.id)}, token=admin_a.token)) is None
    before = await snapshot(app)
    for document in (UPDATE, DELETE, LOCK):
        answer = await gql_field(client, document, {"id": str(member_b.id)}, token=admin_a.token)
        assert answer["__typename"] == "NotFound", (document, answer)

    listed = await client.get("/api/v1/roles", headers=admin_b.headers)
    role_b = next(role["id"] for role in listed.json() if role["tenant_id"] == str(b))
    assert await gql_field(client, ROLE, {"id": role_b}, token=admin_a.token) is None
    for document in (UPDATE_ROLE, DELETE_ROLE):
        answer = await gql_field(client, document, {"id": role_b}, token=admin_a.token)
        assert answer["__typename"] == "NotFound", (document, answer)
    answer = await gql_field(
        client, ASSIGN, {"user": str(member_a.id), "role": role_b}, token=admin_a.token
    )
    assert answer["__typename"] == "NotFound", answer
    assert await snapshot(app) == before
