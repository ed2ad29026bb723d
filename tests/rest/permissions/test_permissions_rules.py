"""The rules of the permission catalogue: resource:action names, built-ins are immutable,
custom ones are held by the super-admin role and can be granted like built-ins."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from identity.permissions import Permission
from tests.factories import add_user, new_permission, new_role, super_admin, token_for
from tests.support.audit import audit_events
from tests.support.graphql import gql
from tests.support.rows import permission_id, role_id

CREATE_PERMISSION = """
mutation($input: CreatePermissionInput!) {
  createPermission(input: $input) {
    __typename
    ... on PermissionPayload { permission { name resource action isSystem } }
    ... on Error { code message field }
  }
}
"""
DELETE_PERMISSION = """
mutation($id: ID!) { deletePermission(id: $id) { __typename ... on Error { code } } }
"""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"name": "usercreate"}, "name", id="no colon"),
        pytest.param({"name": "user:"}, "name", id="no action"),
        pytest.param({"name": "User Admin:create"}, "name", id="spaces"),
        pytest.param({"name": "user:create", "resource": "users"}, "resource", id="resource"),
        pytest.param({"name": "user:create", "action": "delete"}, "action", id="action"),
        pytest.param({"description": "nameless"}, "name", id="no name"),
    ],
)
async def test_a_permission_is_named_resource_action(
    app: FastAPI, client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    # given
    root = await super_admin(app)

    # when
    response = await client.post("/api/v1/permissions", json=body, headers=root.headers)

    # then
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["field"] == field


async def test_the_name_may_come_from_its_parts(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    root = await super_admin(app)

    # when
    response = await client.post(
        "/api/v1/permissions",
        json={"resource": "Invoices", "action": "approve"},
        headers=root.headers,
    )

    # then
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "invoices:approve"


async def test_a_duplicate_name_is_409(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    root = await super_admin(app)

    # when
    builtin = await client.post(
        "/api/v1/permissions", json={"name": "users:read"}, headers=root.headers
    )

    # then
    assert builtin.status_code == 409, builtin.text
    assert builtin.json()["error"]["code"] == "RESOURCE_CONFLICT"


@pytest.mark.parametrize("name", ["users:read", "settings:write"])
async def test_built_in_permissions_cannot_be_changed_or_deleted(
    app: FastAPI, client: httpx.AsyncClient, name: str
) -> None:
    # given
    root = await super_admin(app)
    builtin = await permission_id(app, name)

    # when
    updated = await client.put(
        f"/api/v1/permissions/{builtin}", json={"description": "mine now"}, headers=root.headers
    )
    deleted = await client.delete(f"/api/v1/permissions/{builtin}", headers=root.headers)
    graphql = await gql(client, DELETE_PERMISSION, {"id": str(builtin)}, token=root.token)

    # then
    for response in (updated, deleted):
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "SYSTEM_PERMISSION"
    assert graphql["data"]["deletePermission"] == {
        "__typename": "ProtectedResource",
        "code": "SYSTEM_PERMISSION",
    }
    one = await client.get(f"/api/v1/permissions/{builtin}", headers=root.headers)
    assert one.json()["name"] == name
    assert one.json()["is_system"] is True


async def test_a_custom_permission_is_held_by_superadmins_and_grantable(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    root = await super_admin(app)
    created = await gql(
        client,
        CREATE_PERMISSION,
        {"input": {"resource": "invoices", "action": "approve", "description": "Approve"}},
        token=root.token,
    )
    superadmin_role = await role_id(app, "superadmin")
    approver = await new_role(app, name="approver")
    user_id = await add_user(app, roles=[approver])
    approve = await permission_id(app, "invoices:approve")

    # when
    root_role = await client.get(f"/v1/admin/roles/{superadmin_role}", headers=root.headers)
    granted = await client.post(
        f"/v1/admin/roles/{approver}/permissions",
        json={"permission_id": str(approve)},
        headers=root.headers,
    )
    me = await gql(client, "{ me { permissions } }", token=await token_for(app, user_id))

    # then
    assert created["data"]["createPermission"] == {
        "__typename": "PermissionPayload",
        "permission": {
            "name": "invoices:approve",
            "resource": "invoices",
            "action": "approve",
            "isSystem": False,
        },
    }
    assert "invoices:approve" in {p["name"] for p in root_role.json()["permissions"]}
    assert granted.status_code == 200, granted.text
    assert me["data"]["me"]["permissions"] == ["invoices:approve"]
    [event] = await audit_events(app, "permission.created")
    assert event.details["name"] == "invoices:approve"
    assert event.actor_id == root.id


async def test_deleting_a_custom_permission_removes_its_grants(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    root = await super_admin(app)
    custom = await new_permission(app, "invoices:approve")
    approver = await new_role(app, ["invoices:approve", "users:read"], name="approver")

    # when
    deleted = await client.delete(f"/api/v1/permissions/{custom}", headers=root.headers)

    # then
    assert deleted.status_code == 200, deleted.text
    role = await client.get(f"/api/v1/roles/{approver}", headers=root.headers)
    assert [p["name"] for p in role.json()["permissions"]] == ["users:read"]
    [event] = await audit_events(app, "permission.deleted")
    assert event.details == {"name": "invoices:approve"}


async def test_renaming_a_custom_permission_keeps_its_grants(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    root = await super_admin(app)
    custom = await new_permission(app, "invoices:approve")
    approver = await new_role(app, ["invoices:approve"], name="approver")

    # when
    renamed = await client.put(
        f"/api/v1/permissions/{custom}", json={"action": "sign"}, headers=root.headers
    )
    clash = await client.put(
        f"/api/v1/permissions/{custom}", json={"name": "users:read"}, headers=root.headers
    )

    # then
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "invoices:sign"
    role = await client.get(f"/api/v1/roles/{approver}", headers=root.headers)
    assert [p["name"] for p in role.json()["permissions"]] == ["invoices:sign"]
    assert clash.status_code == 409, clash.text
    [event] = await audit_events(app, "permission.updated")
    assert event.details["old"]["name"] == "invoices:approve"
    assert event.details["new"]["name"] == "invoices:sign"


async def test_graphql_lists_and_groups_permissions(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    root = await super_admin(app)

    # when
    body = await gql(
        client,
        '{ permissions(resource: "users") { name } '
        'permissionGroups(action: "read") { resource permissions { name } } }',
        token=root.token,
    )

    # then
    assert [p["name"] for p in body["data"]["permissions"]] == [
        "users:delete",
        "users:impersonate",
        "users:lock",
        "users:read",
        "users:write",
    ]
    groups = {g["resource"]: g["permissions"] for g in body["data"]["permissionGroups"]}
    reads = {p.value for p in Permission if p.value.endswith(":read")}
    assert {p["name"] for names in groups.values() for p in names} == reads
