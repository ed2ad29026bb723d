"""Who may read and manage permissions, on REST (seeds 003, 004) and GraphQL.

For each operation: {anonymous: 401, plain user: 403, administrator without the permission: 403,
administrator with it: success}, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from identity.permissions import Permission
from tests.admin.rbac_helpers import Gql, Rest, check_gql_matrix, check_rest_matrix

READ = Permission.PERMISSIONS_READ
WRITE = Permission.PERMISSIONS_WRITE
CREATE = {
    "name": "user:create",
    "description": "Create users",
    "resource": "user",
    "action": "create",
}
UPDATE = {
    "name": "user:update",
    "description": "Update users",
    "resource": "user",
    "action": "update",
}

REST_OPERATIONS = [
    Rest("GET", "/v1/admin/permissions", READ),
    Rest("POST", "/api/v1/permissions", WRITE, CREATE, 201),
    Rest("GET", "/api/v1/permissions", READ),
    Rest("GET", "/api/v1/permissions/grouped?search=&resource=&action=", READ),
    Rest("GET", "/api/v1/permissions/{builtin}", READ),
    Rest("PUT", "/api/v1/permissions/{permission}", WRITE, UPDATE),
    Rest("DELETE", "/api/v1/permissions/{permission}", WRITE),
]

PERMISSION_RESULT = (
    "__typename ... on PermissionPayload { permission { name } } ... on Error { code message }"
)
GQL_OPERATIONS = [
    Gql("permissions", "{ permissions { name } }", READ, {}, "permissions"),
    Gql(
        "permissionGroups",
        "{ permissionGroups { resource permissions { name } } }",
        READ,
        {},
        "permissionGroups",
    ),
    Gql(
        "permission",
        "query($id: ID!) { permission(id: $id) { name isSystem } }",
        READ,
        {"id": "{builtin}"},
        "permission",
    ),
    Gql(
        "createPermission",
        "mutation($input: CreatePermissionInput!) { createPermission(input: $input) { "
        + PERMISSION_RESULT
        + " } }",
        WRITE,
        {"input": {"name": "user:create", "description": "Create users"}},
        "createPermission",
        "PermissionPayload",
    ),
    Gql(
        "updatePermission",
        "mutation($id: ID!, $input: UpdatePermissionInput!) { "
        "updatePermission(id: $id, input: $input) { " + PERMISSION_RESULT + " } }",
        WRITE,
        {"id": "{permission}", "input": {"description": "changed"}},
        "updatePermission",
        "PermissionPayload",
    ),
    Gql(
        "deletePermission",
        "mutation($id: ID!) { deletePermission(id: $id) { __typename ... on Error { code } } }",
        WRITE,
        {"id": "{permission}"},
        "deletePermission",
        "PermissionDeleted",
    ),
]


@pytest.mark.parametrize("operation", REST_OPERATIONS, ids=str)
async def test_rest_access(app: FastAPI, client: httpx.AsyncClient, operation: Rest) -> None:
    await check_rest_matrix(app, client, operation)


@pytest.mark.parametrize("operation", GQL_OPERATIONS, ids=str)
async def test_graphql_access(app: FastAPI, client: httpx.AsyncClient, operation: Gql) -> None:
    await check_gql_matrix(app, client, operation)
