"""Users administration over GraphQL, as an admin SPA uses it, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import PASSWORD, add_user, root
from tests.support.audit import audit_events
from tests.support.graphql import gql
from tests.support.rows import user_row

USER_FIELDS = "id email username firstName lastName displayName role status isActive lockedUntil"
RESULT = f"""__typename
  ... on UserPayload {{ user {{ {USER_FIELDS} permissions }} }}
  ... on Error {{ code message field }}"""
CREATE = f"""mutation($input: CreateUserInput!) {{ createUser(input: $input) {{ {RESULT} }} }}"""
CREATE_ADMIN = f"""mutation($input: CreateUserInput!) {{
  createAdminUser(input: $input) {{ {RESULT} }}
}}"""
UPDATE = f"""mutation($id: ID!, $input: UpdateUserInput!) {{
  updateUser(id: $id, input: $input) {{ {RESULT} }}
}}"""
REPLACE = f"""mutation($id: ID!, $input: UpdateUserInput!) {{
  replaceUser(id: $id, input: $input) {{ {RESULT} }}
}}"""
LOCK = f"""mutation($id: ID!, $input: LockUserInput) {{
  lockUser(id: $id, input: $input) {{ {RESULT} }}
}}"""
UNLOCK = f"mutation($id: ID!) {{ unlockUser(id: $id) {{ {RESULT} }} }}"
SET_PERMISSIONS = """mutation($id: ID!, $permissions: [String!]!) {
  setUserPermissions(id: $id, permissions: $permissions) {
    __typename
    ... on UserPermissionsPayload { permissions effectivePermissions user { email } }
    ... on Error { code field }
  }
}"""
USER = f"query($id: ID!) {{ user(id: $id) {{ {USER_FIELDS} }} }}"


async def data(client: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str) -> Any:
    body = await gql(client, query, variables, token=token)
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


async def test_create_then_read(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)

    created = await data(
        client,
        CREATE,
        {"input": {"email": "Jane@Example.com", "password": PASSWORD, "firstName": "Jane"}},
        token,
    )
    fetched = await data(client, USER, {"id": created["user"]["id"]}, token)
    missing = await data(client, USER, {"id": "123e4567-e89b-12d3-a456-426614174000"}, token)

    assert created["__typename"] == "UserPayload"
    assert (created["user"]["email"], created["user"]["role"]) == ("Jane@example.com", "user")
    assert fetched["firstName"] == "Jane"
    assert missing is None


async def test_create_conflicts_and_policy(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    await add_user(app, "taken@example.com")

    taken = await data(
        client, CREATE, {"input": {"email": "taken@example.com", "password": PASSWORD}}, token
    )
    weak = await data(
        client, CREATE, {"input": {"email": "new@example.com", "password": "password123"}}, token
    )
    admin_as_user = await data(
        client,
        CREATE_ADMIN,
        {"input": {"email": "a@example.com", "password": PASSWORD, "role": "user"}},
        token,
    )

    assert (taken["__typename"], taken["field"]) == ("Conflict", "email")
    assert (weak["__typename"], weak["code"]) == ("ValidationError", "PASSWORD_TOO_COMMON")
    assert (admin_as_user["__typename"], admin_as_user["field"]) == ("ValidationError", "role")


async def test_create_admin_with_grants(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)

    created = await data(
        client,
        CREATE_ADMIN,
        {
            "input": {
                "email": "newadmin@example.com",
                "password": PASSWORD,
                "permissions": ["reports:read"],
            }
        },
        token,
    )

    assert created["user"]["role"] == "admin"
    assert "reports:read" in created["user"]["permissions"]


async def test_update_changes_what_is_given_and_null_clears(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await root(app)
    user_id = str(await add_user(app, first_name="John", last_name="Doe", display_name="JD"))

    updated = await data(
        client,
        UPDATE,
        {"id": user_id, "input": {"firstName": "Jane", "displayName": None, "role": "admin3"}},
        token,
    )

    user = updated["user"]
    assert (user["firstName"], user["lastName"], user["displayName"]) == ("Jane", "Doe", None)
    assert user["role"] == "admin3"
    assert user["permissions"] == ["users:read"]


async def test_replace_clears_what_is_not_given(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    user_id = str(
        await add_user(app, "u@example.com", first_name="John", last_name="Doe", username="jd")
    )

    replaced = await data(client, REPLACE, {"id": user_id, "input": {"firstName": "Jane"}}, token)

    user = replaced["user"]
    assert (user["firstName"], user["lastName"], user["username"]) == ("Jane", None, None)
    assert (user["email"], user["role"], user["status"]) == ("u@example.com", "user", "active")


async def test_status_and_is_active_move_together(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    user_id = str(await add_user(app))

    off = await data(client, UPDATE, {"id": user_id, "input": {"isActive": False}}, token)
    on = await data(client, UPDATE, {"id": user_id, "input": {"status": "ACTIVE"}}, token)
    pending = await data(client, UPDATE, {"id": user_id, "input": {"status": "PENDING"}}, token)

    assert (off["user"]["status"], off["user"]["isActive"]) == ("inactive", False)
    assert (on["user"]["status"], on["user"]["isActive"]) == ("active", True)
    assert (pending["user"]["status"], pending["user"]["isActive"]) == ("pending", True)


async def test_lock_and_unlock(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    user_id = str(await add_user(app))

    locked = await data(
        client, LOCK, {"id": user_id, "input": {"reason": "abuse", "durationMinutes": 30}}, token
    )
    unlocked = await data(client, UNLOCK, {"id": user_id}, token)
    bad = await data(client, LOCK, {"id": user_id, "input": {"durationMinutes": 0}}, token)

    assert locked["user"]["status"] == "locked"
    assert locked["user"]["lockedUntil"]
    assert (unlocked["user"]["status"], unlocked["user"]["lockedUntil"]) == ("active", None)
    assert (bad["__typename"], bad["field"]) == ("ValidationError", "duration_minutes")


async def test_set_permissions(app: FastAPI, client: httpx.AsyncClient) -> None:
    admin_id, token = await root(app)
    user_id = str(await add_user(app, "a@example.com", role="admin3"))

    done = await data(
        client, SET_PERMISSIONS, {"id": user_id, "permissions": ["reports:read"]}, token
    )
    unknown = await data(
        client, SET_PERMISSIONS, {"id": user_id, "permissions": ["reports:fly"]}, token
    )

    assert done["permissions"] == ["reports:read"]
    assert done["effectivePermissions"] == ["reports:read", "users:read"]
    assert (unknown["__typename"], unknown["field"]) == ("ValidationError", "permissions")
    [event] = await audit_events(app, "user.permissions_set")
    assert event.actor_id == admin_id


async def test_unknown_and_malformed_ids_are_both_not_found(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await root(app)

    unknown = await data(client, UNLOCK, {"id": "123e4567-e89b-12d3-a456-426614174000"}, token)
    malformed = await data(client, UNLOCK, {"id": "nope"}, token)

    assert unknown["__typename"] == "NotFound"
    assert (malformed["__typename"], malformed["field"]) == ("NotFound", "id")


async def test_delete(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    user_id = await add_user(app)

    deleted = await data(
        client,
        'mutation($id: ID!) { deleteUser(id: $id, reason: "gdpr") { __typename '
        "... on UserDeleted { id } } }",
        {"id": str(user_id)},
        token,
    )

    assert deleted == {"__typename": "UserDeleted", "id": str(user_id)}
    assert await user_row(app, user_id) is None
    [event] = await audit_events(app, "user.deleted")
    assert event.details["reason"] == "gdpr"
