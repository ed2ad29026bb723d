"""Who may administer users: every operation against {anonymous, a plain user, an admin
holding every permission but the one it needs, an admin holding it}, over REST and GraphQL,
on SQLite and PostgreSQL.

Each case runs the four callers in turn against one target; refusals change nothing, so the
last caller's success is checked on the same state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from identity.permissions import Permission
from tests.admin.users_helpers import (
    PASSWORD,
    account,
    add_role,
    add_user,
    bearer,
    gql,
    graphql_outcome,
)

P = Permission
ALL = frozenset(P)
READ, WRITE, DELETE, LOCK = P.USERS_READ, P.USERS_WRITE, P.USERS_DELETE, P.USERS_LOCK
GRANTS = P.PERMISSIONS_WRITE

Body = Callable[[str], dict[str, Any] | None]


def no_body(_target: str) -> None:
    return None


def new_user(_target: str) -> dict[str, Any]:
    return {"email": "new@example.com", "password": PASSWORD, "first_name": "Jane"}


def bulk(action: str) -> Body:
    return lambda target: {"user_ids": [target], "action": action, "reason": "matrix"}


@dataclass(frozen=True)
class RestCase:
    name: str
    needs: tuple[Permission, ...]
    method: str
    path: str
    ok: int
    body: Body = no_body
    also: tuple[Permission, ...] = ()  # held by the permitted caller for the payload's sake


REST_CASES = [
    RestCase("GET /api/v1/users", (READ,), "GET", "/api/v1/users?page=1&size=5", 200),
    RestCase(
        "GET /api/v1/users (skip, limit)", (READ,), "GET", "/api/v1/users?skip=0&limit=5", 200
    ),
    RestCase("GET /api/v1/users/{id}", (READ,), "GET", "/api/v1/users/{id}", 200),
    RestCase("POST /api/v1/users", (WRITE,), "POST", "/api/v1/users", 201, new_user),
    RestCase(
        "PUT /api/v1/users/{id}",
        (WRITE,),
        "PUT",
        "/api/v1/users/{id}",
        200,
        lambda _: {"first_name": "Jane", "last_name": "Doe", "is_active": True},
    ),
    RestCase(
        "PATCH /api/v1/users/{id}",
        (WRITE,),
        "PATCH",
        "/api/v1/users/{id}",
        200,
        lambda _: {"first_name": "Updated Name"},
    ),
    RestCase("DELETE /api/v1/users/{id}", (DELETE,), "DELETE", "/api/v1/users/{id}", 204),
    RestCase(
        "POST /api/v1/users/{id}/lock",
        (LOCK,),
        "POST",
        "/api/v1/users/{id}/lock",
        200,
        lambda _: {"reason": "Security violation", "duration_minutes": 60},
    ),
    RestCase("POST /api/v1/users/{id}/unlock", (LOCK,), "POST", "/api/v1/users/{id}/unlock", 200),
    *(
        RestCase(
            f"POST /api/v1/users/bulk-actions {action}",
            (needs,),
            "POST",
            "/api/v1/users/bulk-actions",
            200,
            bulk(action),
        )
        for action, needs in (
            ("activate", WRITE),
            ("deactivate", WRITE),
            ("lock", LOCK),
            ("unlock", LOCK),
            ("delete", DELETE),
        )
    ),
    RestCase(
        "POST /api/v1/users/bulk-actions assign_role",
        (WRITE,),
        "POST",
        "/api/v1/users/bulk-actions",
        200,
        lambda target: {"user_ids": [target], "action": "assign_role", "role": "admin3"},
        also=(READ,),  # admin3 grants users:read: only a holder may hand it out
    ),
    RestCase("GET /api/v1/admin/users", (READ,), "GET", "/api/v1/admin/users", 200),
    RestCase(
        "POST /api/v1/admin/users",
        (WRITE, GRANTS),
        "POST",
        "/api/v1/admin/users",
        201,
        lambda _: {
            "email": "newadmin@example.com",
            "password": PASSWORD,
            "role": "admin3",
            "permissions": ["users:read"],
        },
        also=(READ,),
    ),
    RestCase(
        "PUT /api/v1/admin/users/{id}/permissions",
        (WRITE, GRANTS),
        "PUT",
        "/api/v1/admin/users/{id}/permissions",
        200,
        lambda _: {"permissions": ["users:write"]},
    ),
    RestCase("GET /v1/users", (READ,), "GET", "/v1/users?limit=5", 200),
    RestCase("POST /v1/users", (WRITE,), "POST", "/v1/users", 201, new_user),
    RestCase("GET /v1/users/{id}", (READ,), "GET", "/v1/users/{id}", 200),
    RestCase(
        "PUT /v1/users/{id}",
        (WRITE,),
        "PUT",
        "/v1/users/{id}",
        200,
        lambda _: {"first_name": "Jane"},
    ),
    RestCase("DELETE /v1/users/{id}", (DELETE,), "DELETE", "/v1/users/{id}", 200),
]


async def callers(
    app: FastAPI, needs: tuple[Permission, ...], also: tuple[Permission, ...]
) -> dict[str, str | None]:
    """Tokens by kind of caller; every admin is a holder of a custom role."""
    found: dict[str, str | None] = {"anonymous": None}
    found["plain user"] = (await account(app))[1]
    for missing in needs:
        role = await add_role(app, ALL - {missing})
        found[f"admin without {missing}"] = (await account(app, role=role))[1]
    role = await add_role(app, {*needs, *also})
    found["admin with it"] = (await account(app, role=role))[1]
    return found


def expected(needs: tuple[Permission, ...], ok: Any, *, denied: Any, anonymous: Any) -> dict:
    return {
        "anonymous": anonymous,
        "plain user": denied,
        **{f"admin without {missing}": denied for missing in needs},
        "admin with it": ok,
    }


@pytest.mark.parametrize("case", REST_CASES, ids=lambda case: case.name)
async def test_rest_access(app: FastAPI, client: httpx.AsyncClient, case: RestCase) -> None:
    target = str(await add_user(app, "target@example.com"))
    outcomes: dict[str, tuple[int, str | None]] = {}

    for who, token in (await callers(app, case.needs, case.also)).items():
        response = await client.request(
            case.method,
            case.path.format(id=target),
            json=case.body(target),
            headers=bearer(token),
        )
        code = response.json()["error"]["code"] if response.status_code >= 400 else None
        outcomes[who] = (response.status_code, code)

    assert outcomes == expected(
        case.needs,
        (case.ok, None),
        denied=(403, "PERMISSION_DENIED"),
        anonymous=(401, "AUTHENTICATION_REQUIRED"),
    )


ERROR = "__typename ... on Error { code }"


@dataclass(frozen=True)
class GraphqlCase:
    name: str
    needs: tuple[Permission, ...]
    query: str
    ok: str
    variables: Callable[[str], dict[str, Any]] = lambda _target: {}
    also: tuple[Permission, ...] = ()
    label: str = ""

    @property
    def field(self) -> str:
        return self.name


def _input(value: dict[str, Any]) -> Callable[[str], dict[str, Any]]:
    return lambda target: {"id": target, "input": value}


GRAPHQL_CASES = [
    GraphqlCase(
        "users",
        (READ,),
        "{ users(first: 5) { __typename totalCount edges { node { roles { name } } } } }",
        "UserConnection",
    ),
    GraphqlCase(
        "user",
        (READ,),
        "query($id: ID!) { user(id: $id) { __typename id } }",
        "User",
        lambda target: {"id": target},
    ),
    GraphqlCase(
        "createUser",
        (WRITE,),
        f"mutation($input: CreateUserInput!) {{ createUser(input: $input) {{ {ERROR} }} }}",
        "UserPayload",
        lambda _: {"input": {"email": "new@example.com", "password": PASSWORD}},
    ),
    GraphqlCase(
        "createAdminUser",
        (WRITE, GRANTS),
        f"mutation($input: CreateUserInput!) {{ createAdminUser(input: $input) {{ {ERROR} }} }}",
        "UserPayload",
        lambda _: {
            "input": {
                "email": "newadmin@example.com",
                "password": PASSWORD,
                "role": "admin3",
                "permissions": ["users:read"],
            }
        },
        also=(READ,),
    ),
    GraphqlCase(
        "updateUser",
        (WRITE,),
        "mutation($id: ID!, $input: UpdateUserInput!) "
        f"{{ updateUser(id: $id, input: $input) {{ {ERROR} }} }}",
        "UserPayload",
        _input({"firstName": "Jane"}),
    ),
    GraphqlCase(
        "replaceUser",
        (WRITE,),
        "mutation($id: ID!, $input: UpdateUserInput!) "
        f"{{ replaceUser(id: $id, input: $input) {{ {ERROR} }} }}",
        "UserPayload",
        _input({"firstName": "Jane", "lastName": "Doe"}),
    ),
    GraphqlCase(
        "deleteUser",
        (DELETE,),
        f"mutation($id: ID!) {{ deleteUser(id: $id) {{ {ERROR} }} }}",
        "UserDeleted",
        lambda target: {"id": target},
    ),
    GraphqlCase(
        "lockUser",
        (LOCK,),
        "mutation($id: ID!, $input: LockUserInput) "
        f"{{ lockUser(id: $id, input: $input) {{ {ERROR} }} }}",
        "UserPayload",
        _input({"reason": "matrix", "durationMinutes": 5}),
    ),
    GraphqlCase(
        "unlockUser",
        (LOCK,),
        f"mutation($id: ID!) {{ unlockUser(id: $id) {{ {ERROR} }} }}",
        "UserPayload",
        lambda target: {"id": target},
    ),
    *(
        GraphqlCase(
            "bulkUserAction",
            (needs,),
            "mutation($input: BulkUserActionInput!) "
            f"{{ bulkUserAction(input: $input) {{ {ERROR} }} }}",
            "BulkUserActionPayload",
            lambda target, action=action: {"input": {"userIds": [target], "action": action}},
            label=f"bulkUserAction {action}",
        )
        for action, needs in (
            ("ACTIVATE", WRITE),
            ("DEACTIVATE", WRITE),
            ("LOCK", LOCK),
            ("UNLOCK", LOCK),
            ("DELETE", DELETE),
        )
    ),
    GraphqlCase(
        "setUserPermissions",
        (WRITE, GRANTS),
        "mutation($id: ID!, $permissions: [String!]!) "
        f"{{ setUserPermissions(id: $id, permissions: $permissions) {{ {ERROR} }} }}",
        "UserPermissionsPayload",
        lambda target: {"id": target, "permissions": ["users:write"]},
    ),
]


@pytest.mark.parametrize(
    "case",
    GRAPHQL_CASES,
    ids=lambda case: case.label or case.name,
)
async def test_graphql_access(app: FastAPI, client: httpx.AsyncClient, case: GraphqlCase) -> None:
    target = str(await add_user(app, "target@example.com"))
    outcomes: dict[str, str] = {}

    for who, token in (await callers(app, case.needs, case.also)).items():
        body = await gql(client, case.query, case.variables(target), token=token)
        outcomes[who] = graphql_outcome(body, case.field)

    assert outcomes == expected(
        case.needs, case.ok, denied="PERMISSION_DENIED", anonymous="AUTHENTICATION_REQUIRED"
    )


@pytest.mark.parametrize(
    ("kind", "field", "permission"),
    [
        ("query", "users", READ),
        ("query", "user", READ),
        ("mutation", "createUser", WRITE),
        ("mutation", "createAdminUser", WRITE),
        ("mutation", "updateUser", WRITE),
        ("mutation", "replaceUser", WRITE),
        ("mutation", "deleteUser", DELETE),
        ("mutation", "lockUser", LOCK),
        ("mutation", "unlockUser", LOCK),
        ("mutation", "setUserPermissions", GRANTS),
    ],
)
def test_the_schema_documents_each_permission(
    kind: str, field: str, permission: Permission
) -> None:
    from schema import build_schema

    graphql_schema = build_schema()._schema
    root = graphql_schema.query_type if kind == "query" else graphql_schema.mutation_type
    assert root is not None
    description = root.fields[field].description or ""

    assert f"Requires: the {permission.value} permission." in description
