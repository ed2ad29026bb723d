"""Seed 004: "Permissions (Global) — All authenticated users (view)". A user who signed up
and logged in, holding no permission at all, views the catalogue on REST and GraphQL."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.support.graphql import error_code, gql
from tests.support.http import bearer
from tests.support.rows import permission_id

ACCOUNT = {"email": "viewer@example.com", "password": "a long enough password"}


async def _plain_user_token(client: httpx.AsyncClient) -> str:
    registered = await client.post("/api/v1/auth/register", json=ACCOUNT)
    assert registered.status_code == 201, registered.text
    login = await client.post("/api/v1/auth/login", json=ACCOUNT)
    assert login.status_code == 200, login.text
    return str(login.json()["access_token"])


async def test_a_plain_user_views_permissions_on_rest(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    token = await _plain_user_token(client)
    users_read = await permission_id(app, "users:read")

    # when
    me = await client.get("/api/v1/auth/me", headers=bearer(token))
    grouped = await client.get(
        "/api/v1/permissions/grouped?search=&resource=&action=", headers=bearer(token)
    )
    one = await client.get(f"/api/v1/permissions/{users_read}", headers=bearer(token))
    change = await client.put(
        f"/api/v1/permissions/{users_read}", json={"description": "x"}, headers=bearer(token)
    )

    # then
    assert me.status_code == 200, me.text
    assert me.json()["role"] == "user"
    assert grouped.status_code == 200, grouped.text
    assert "users:read" in [row["name"] for row in grouped.json()["users"]]
    assert one.status_code == 200, one.text
    assert (one.json()["name"], one.json()["is_system"]) == ("users:read", True)
    assert change.status_code == 403, change.text
    assert change.json()["error"]["code"] == "PERMISSION_DENIED"


async def test_a_plain_user_views_permissions_on_graphql(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    token = await _plain_user_token(client)
    users_read = await permission_id(app, "users:read")

    # when
    viewed = await gql(
        client,
        'query($id: ID!) { permissions(resource: "users") { name } '
        'permissionGroups(resource: "users") { resource permissions { name } } '
        "permission(id: $id) { name isSystem } }",
        {"id": str(users_read)},
        token=token,
    )
    created = await gql(
        client,
        'mutation { createPermission(input: {name: "reports:custom"}) { '
        "__typename ... on Error { code } } }",
        token=token,
    )

    # then
    assert "errors" not in viewed, viewed
    data = viewed["data"]
    assert "users:read" in [row["name"] for row in data["permissions"]]
    assert [group["resource"] for group in data["permissionGroups"]] == ["users"]
    assert data["permission"] == {"name": "users:read", "isSystem": True}
    assert error_code(created) == "PERMISSION_DENIED", created
