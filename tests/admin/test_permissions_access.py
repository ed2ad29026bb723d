"""Who may view, list and manage permissions, on REST (seeds 003, 004) and GraphQL.

Managing, and the flat REST lists (seed 003's administrators' listing; ``/api/v1/permissions``,
which no seed documents): {anonymous: 401, plain user: 403, administrator without the
permission: 403, administrator with it: success}. Viewing (seed 004:
"All authenticated users (view)"): {anonymous: 401, plain user and administrator without
permissions:read: success}. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from identity.permissions import Permission
from tests.admin.rbac_helpers import (
    Gql,
    Rest,
    check_gql_matrix,
    check_rest_matrix,
    error_code,
    gql,
    matrix,
    targets,
)

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
    Rest("PUT", "/api/v1/permissions/{permission}", WRITE, UPDATE),
    Rest("DELETE", "/api/v1/permissions/{permission}", WRITE),
]

PERMISSION_RESULT = (
    "__typename ... on PermissionPayload { permission { name } } ... on Error { code message }"
)
# Seed 004's viewing routes, and the GraphQL fields that view the catalogue.
REST_VIEWS = [
    Rest("GET", "/api/v1/permissions/grouped?search=&resource=&action=", READ),
    Rest("GET", "/api/v1/permissions/{builtin}", READ),
]
GQL_VIEWS = [
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
]

GQL_OPERATIONS = [
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


@pytest.mark.parametrize("operation", REST_VIEWS, ids=str)
async def test_rest_views_are_for_every_signed_in_user(
    app: FastAPI, client: httpx.AsyncClient, operation: Rest
) -> None:
    # given
    world = await targets(app, operation.permission)
    callers = await matrix(app, operation.permission)
    path = world.fill(operation.path)

    # when
    anonymous = await client.get(path)
    answers = [
        await client.get(path, headers=who.headers)
        for who in (callers.plain, callers.without, callers.holder)
    ]

    # then
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.json()["error"]["code"] == "AUTHENTICATION_REQUIRED"
    for answer in answers:
        assert answer.status_code == 200, answer.text
    assert answers[0].json() == answers[2].json()
    assert "reports:read" in answers[0].text


@pytest.mark.parametrize("operation", GQL_VIEWS, ids=str)
async def test_graphql_views_are_for_every_signed_in_user(
    app: FastAPI, client: httpx.AsyncClient, operation: Gql
) -> None:
    # given
    world = await targets(app, operation.permission)
    callers = await matrix(app, operation.permission)
    variables = world.fill(operation.variables)

    # when
    anonymous = await gql(client, operation.document, variables)
    answers = [
        await gql(client, operation.document, variables, token=who.token)
        for who in (callers.plain, callers.without, callers.holder)
    ]

    # then
    assert error_code(anonymous) == "AUTHENTICATION_REQUIRED", anonymous
    for answer in answers:
        assert "errors" not in answer, answer
        assert answer["data"][operation.field], answer
    assert answers[0] == answers[2]
    assert "reports:read" in str(answers[0])
