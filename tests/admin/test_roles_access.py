"""Who may manage roles and users' roles, on REST (seeds 003, 004) and GraphQL.

For each operation: {anonymous: 401, plain user: 403, administrator without the permission: 403,
administrator with it: success}, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from identity.permissions import Permission
from tests.admin.rbac_helpers import Gql, Rest, check_gql_matrix, check_rest_matrix

READ = Permission.ROLES_READ
WRITE = Permission.ROLES_WRITE
USERS_READ = Permission.USERS_READ
USERS_WRITE = Permission.USERS_WRITE

REST_OPERATIONS = [
    # seed 003
    Rest("GET", "/v1/admin/roles", READ),
    Rest("POST", "/v1/admin/roles", WRITE, {"name": "manager", "description": "x"}, 201),
    Rest("GET", "/v1/admin/roles/{role}", READ),
    Rest("PUT", "/v1/admin/roles/{role}", WRITE, {"description": "Updated description"}),
    Rest("DELETE", "/v1/admin/roles/{role}", WRITE),
    Rest("GET", "/v1/admin/roles/{role}/permissions", READ),
    Rest("POST", "/v1/admin/roles/{role}/permissions", WRITE, {"permission_id": "{grantable}"}),
    Rest("DELETE", "/v1/admin/roles/{role}/permissions/{builtin}", WRITE),
    Rest("POST", "/v1/admin/users/{user}/roles", USERS_WRITE, {"role_id": "{spare_role}"}),
    Rest("DELETE", "/v1/admin/users/{user}/roles/{empty_role}", USERS_WRITE),
    # seed 004
    Rest("POST", "/api/v1/roles", WRITE, {"name": "Manager", "is_active": True}, 201),
    Rest("GET", "/api/v1/roles?skip=0&limit=100&search=&is_active=true", READ),
    Rest("GET", "/api/v1/roles/{role}", READ),
    Rest("PUT", "/api/v1/roles/{role}", WRITE, {"name": "Updated Manager"}),
    Rest("DELETE", "/api/v1/roles/{role}", WRITE),
    Rest("POST", "/api/v1/roles/{role}/permissions", WRITE, {"permission_ids": ["{grantable}"]}),
    Rest("DELETE", "/api/v1/roles/{role}/permissions", WRITE, {"permission_ids": ["{builtin}"]}),
    Rest("GET", "/api/v1/users/{user}/roles", USERS_READ),
    Rest("POST", "/api/v1/users/{user}/roles", USERS_WRITE, {"role_ids": ["{spare_role}"]}),
    Rest("DELETE", "/api/v1/users/{user}/roles", USERS_WRITE, {"role_ids": ["{empty_role}"]}),
]

ROLE_RESULT = "__typename ... on RolePayload { role { name } } ... on Error { code message }"
USER_ROLES_RESULT = "__typename ... on UserRolesPayload { roles { name } } ... on Error { code }"
GQL_OPERATIONS = [
    Gql("roles", "{ roles { id name permissions { name } } }", READ, {}, "roles"),
    Gql(
        "role",
        "query($id: ID!) { role(id: $id) { name permissions { name } } }",
        READ,
        {"id": "{role}"},
        "role",
    ),
    Gql(
        "createRole",
        "mutation($input: CreateRoleInput!) { createRole(input: $input) { " + ROLE_RESULT + " } }",
        WRITE,
        {"input": {"name": "manager", "permissionIds": ["{grantable}"]}},
        "createRole",
        "RolePayload",
    ),
    Gql(
        "updateRole",
        "mutation($id: ID!, $input: UpdateRoleInput!) { updateRole(id: $id, input: $input) "
        "{ " + ROLE_RESULT + " } }",
        WRITE,
        {"id": "{role}", "input": {"description": "changed"}},
        "updateRole",
        "RolePayload",
    ),
    Gql(
        "deleteRole",
        "mutation($id: ID!) { deleteRole(id: $id) { __typename ... on Error { code } } }",
        WRITE,
        {"id": "{role}"},
        "deleteRole",
        "RoleDeleted",
    ),
    Gql(
        "grantRolePermissions",
        "mutation($r: ID!, $p: [ID!]!) { grantRolePermissions(roleId: $r, permissionIds: $p) "
        "{ " + ROLE_RESULT + " } }",
        WRITE,
        {"r": "{role}", "p": ["{grantable}"]},
        "grantRolePermissions",
        "RolePayload",
    ),
    Gql(
        "revokeRolePermissions",
        "mutation($r: ID!, $p: [ID!]!) { revokeRolePermissions(roleId: $r, permissionIds: $p) "
        "{ " + ROLE_RESULT + " } }",
        WRITE,
        {"r": "{role}", "p": ["{builtin}"]},
        "revokeRolePermissions",
        "RolePayload",
    ),
    Gql(
        "assignUserRoles",
        "mutation($u: ID!, $r: [ID!]!) { assignUserRoles(userId: $u, roleIds: $r) { "
        + USER_ROLES_RESULT
        + " } }",
        USERS_WRITE,
        {"u": "{user}", "r": ["{spare_role}"]},
        "assignUserRoles",
        "UserRolesPayload",
    ),
    Gql(
        "removeUserRoles",
        "mutation($u: ID!, $r: [ID!]!) { removeUserRoles(userId: $u, roleIds: $r) { "
        + USER_ROLES_RESULT
        + " } }",
        USERS_WRITE,
        {"u": "{user}", "r": ["{empty_role}"]},
        "removeUserRoles",
        "UserRolesPayload",
    ),
]


@pytest.mark.parametrize("operation", REST_OPERATIONS, ids=str)
async def test_rest_access(app: FastAPI, client: httpx.AsyncClient, operation: Rest) -> None:
    await check_rest_matrix(app, client, operation)


@pytest.mark.parametrize("operation", GQL_OPERATIONS, ids=str)
async def test_graphql_access(app: FastAPI, client: httpx.AsyncClient, operation: Gql) -> None:
    await check_gql_matrix(app, client, operation)
