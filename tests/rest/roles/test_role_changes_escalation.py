"""Issue 10, item 3: role changes must not bypass "no escalation".

The attack: an administrator holding roles:write and users:write, but not a permission a
custom role grants, switches that role off (or deletes it, renames it, strips it), so its
holders look "manageable"; changes a holder's email, resets the password through the new
address, and switches the role back on. Each step is refused now: changing a role needs every
permission it grants, and an account whose inactive roles grant what the caller lacks stays
out of their reach. SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlmodel import col

from identity.models import PermissionRow, Role, RolePermission, User
from identity.permissions import Permission
from tests.factories import Caller, add_user, caller, new_permission, new_role, super_admin
from tests.support.app import runtime
from tests.support.graphql import gql
from tests.support.http import assert_error
from tests.support.rows import permission_id

GUARDED = "settings:write"  # what the victim's role grants and the attacker lacks
ATTACKER = [
    Permission.ROLES_READ,
    Permission.ROLES_WRITE,
    Permission.USERS_READ,
    Permission.USERS_WRITE,
    Permission.USERS_LOCK,
    Permission.USERS_DELETE,
    Permission.PERMISSIONS_READ,
    Permission.PERMISSIONS_WRITE,
    Permission.AUDIT_READ,
]
UPDATE_ROLE = """
mutation($id: ID!, $input: UpdateRoleInput!) {
  updateRole(id: $id, input: $input) {
    __typename ... on Error { code } ... on RolePayload { role { isActive } }
  }
}
"""
DELETE_ROLE = """
mutation($id: ID!) { deleteRole(id: $id) { __typename ... on Error { code } } }
"""
REVOKE_ROLE_PERMISSIONS = """
mutation($id: ID!, $p: [ID!]!) {
  revokeRolePermissions(roleId: $id, permissionIds: $p) { __typename ... on Error { code } }
}
"""
UPDATE_USER = """
mutation($id: ID!, $input: UpdateUserInput!) {
  updateUser(id: $id, input: $input) { __typename ... on Error { code } }
}
"""


async def role_state(app: FastAPI, role: uuid.UUID) -> tuple[str, bool, set[str]] | None:
    """The role's name, whether it is active, and its permissions; None once deleted."""
    async with runtime(app).database.read() as session:
        row = await session.get(Role, role)
        if row is None:
            return None
        names = await session.scalars(
            select(col(PermissionRow.name))
            .join(RolePermission, col(RolePermission.permission_id) == col(PermissionRow.id))
            .where(col(RolePermission.role_id) == role)
        )
        return row.name, row.is_active, set(names.all())


async def email_of(app: FastAPI, user_id: uuid.UUID) -> str:
    async with runtime(app).database.read() as session:
        user = await session.get(User, user_id)
    assert user is not None
    return user.email


async def switch_off(app: FastAPI, role: uuid.UUID) -> None:
    """As a super-admin may legitimately have done earlier."""
    async with runtime(app).database.unit_of_work() as session:
        await session.execute(update(Role).where(col(Role.id) == role).values(is_active=False))


async def world(app: FastAPI) -> tuple[Caller, uuid.UUID, uuid.UUID, uuid.UUID]:
    """The attacker, the victim's custom role (settings:write and audit:read), the victim."""
    attacker = await caller(app, permissions=[p.value for p in ATTACKER])
    role = await new_role(app, [GUARDED, "audit:read"], name="config-admins")
    victim = await add_user(app, roles=[role], email="victim@example.com")
    return attacker, role, victim, await permission_id(app, GUARDED)


# --- changing the role itself ------------------------------------------------------------------

ROLE_CHANGES = [
    ("deactivate (003)", "PUT", "/v1/admin/roles/{role}", {"is_active": False}),
    ("deactivate (004)", "PUT", "/api/v1/roles/{role}", {"is_active": False}),
    ("rename", "PUT", "/v1/admin/roles/{role}", {"name": "harmless"}),
    ("delete (003)", "DELETE", "/v1/admin/roles/{role}", None),
    ("delete (004)", "DELETE", "/api/v1/roles/{role}", None),
    ("strip one (003)", "DELETE", "/v1/admin/roles/{role}/permissions/{guarded}", None),
    (
        "strip one (004)",
        "DELETE",
        "/api/v1/roles/{role}/permissions",
        {"permission_ids": ["{guarded}"]},
    ),
    # even taking away only a permission the attacker holds: the role stays theirs to touch
    # only if they hold all of it
    (
        "strip a held one",
        "DELETE",
        "/api/v1/roles/{role}/permissions",
        {"permission_ids": ["{held}"]},
    ),
]


def _fill(value: Any, **ids: uuid.UUID) -> Any:
    if isinstance(value, str):
        for name, one in ids.items():
            value = value.replace("{" + name + "}", str(one))
        return value
    if isinstance(value, list):
        return [_fill(one, **ids) for one in value]
    if isinstance(value, dict):
        return {key: _fill(one, **ids) for key, one in value.items()}
    return value


@pytest.mark.parametrize(
    ("name", "method", "path", "body"), ROLE_CHANGES, ids=[case[0] for case in ROLE_CHANGES]
)
async def test_a_role_granting_more_than_the_caller_holds_cannot_be_changed(
    app: FastAPI,
    client: httpx.AsyncClient,
    name: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    # given
    attacker, role, _, guarded = await world(app)
    held = await permission_id(app, "audit:read")
    before = await role_state(app, role)

    # when
    response = await client.request(
        method,
        _fill(path, role=role, guarded=guarded),
        json=_fill(body, guarded=guarded, held=held),
        headers=attacker.headers,
    )

    # then
    error = assert_error(response, 403, "PRIVILEGE_ESCALATION")
    assert error["details"]["permissions"] == [GUARDED], error
    assert await role_state(app, role) == before


async def test_graphql_refuses_the_same_role_changes(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    attacker, role, _, guarded = await world(app)
    before = await role_state(app, role)

    # when
    off = await gql(
        client, UPDATE_ROLE, {"id": str(role), "input": {"isActive": False}}, token=attacker.token
    )
    deleted = await gql(client, DELETE_ROLE, {"id": str(role)}, token=attacker.token)
    stripped = await gql(
        client,
        REVOKE_ROLE_PERMISSIONS,
        {"id": str(role), "p": [str(guarded)]},
        token=attacker.token,
    )

    # then
    for body, field in (
        (off, "updateRole"),
        (deleted, "deleteRole"),
        (stripped, "revokeRolePermissions"),
    ):
        assert "errors" not in body, body
        assert body["data"][field] == {
            "__typename": "PermissionDenied",
            "code": "PRIVILEGE_ESCALATION",
        }
    assert await role_state(app, role) == before


async def test_holding_every_permission_of_the_role_allows_the_change(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given: an administrator holding roles:write and everything the role grants
    role = await new_role(app, [GUARDED, "audit:read"], name="config-admins")
    owner = await caller(app, permissions=[Permission.ROLES_WRITE.value, GUARDED, "audit:read"])
    root = await super_admin(app)

    # when
    off = await client.put(
        f"/v1/admin/roles/{role}", json={"is_active": False}, headers=owner.headers
    )
    renamed = await client.put(
        f"/v1/admin/roles/{role}", json={"name": "configurators"}, headers=owner.headers
    )
    stripped = await client.request(
        "DELETE",
        f"/api/v1/roles/{role}/permissions",
        json={"permission_ids": [str(await permission_id(app, GUARDED))]},
        headers=owner.headers,
    )
    deleted = await client.delete(f"/api/v1/roles/{role}", headers=root.headers)

    # then
    for response in (off, renamed, stripped):
        assert response.status_code == 200, response.text
    assert deleted.status_code in (200, 204), deleted.text
    assert await role_state(app, role) is None


async def test_a_custom_permission_the_caller_lacks_cannot_be_deleted(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given: a custom permission held (through a role) by someone, not by the attacker
    custom = await new_permission(app, "invoices:approve")
    role = await new_role(app, ["invoices:approve"], name="approvers")
    await add_user(app, roles=[role])
    attacker = await caller(app, permissions=[Permission.PERMISSIONS_WRITE.value])
    root = await super_admin(app)

    # when
    refused = await client.delete(f"/api/v1/permissions/{custom}", headers=attacker.headers)
    allowed = await client.delete(f"/api/v1/permissions/{custom}", headers=root.headers)

    # then
    error = assert_error(refused, 403, "PRIVILEGE_ESCALATION")
    assert error["details"]["permissions"] == ["invoices:approve"]
    assert allowed.status_code in (200, 204), allowed.text


# --- the holders of an inactive role stay out of reach -----------------------------------------

HOLDER_CHANGES = [
    ("email (000)", "PATCH", "/api/v1/users/{victim}", {"email": "attacker@evil.example"}),
    ("email (003)", "PUT", "/v1/users/{victim}", {"email": "attacker@evil.example"}),
    ("lock", "POST", "/api/v1/users/{victim}/lock", {"reason": "mine now"}),
    ("delete", "DELETE", "/api/v1/users/{victim}", None),
    ("remove the role", "DELETE", "/v1/admin/users/{victim}/roles/{role}", None),
]


@pytest.mark.parametrize(
    ("name", "method", "path", "body"), HOLDER_CHANGES, ids=[case[0] for case in HOLDER_CHANGES]
)
async def test_the_holder_of_an_inactive_role_stays_unmanageable(
    app: FastAPI,
    client: httpx.AsyncClient,
    name: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    # given: the victim's role was switched off (by someone allowed to)
    attacker, role, victim, _ = await world(app)
    await switch_off(app, role)

    # when
    response = await client.request(
        method, _fill(path, victim=victim, role=role), json=body, headers=attacker.headers
    )

    # then
    error = assert_error(response, 403, "PRIVILEGE_ESCALATION")
    assert GUARDED in error["details"]["permissions"], error
    assert await email_of(app, victim) == "victim@example.com"


async def test_bulk_and_graphql_leave_the_holder_of_an_inactive_role_alone(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    attacker, role, victim, _ = await world(app)
    await switch_off(app, role)

    # when
    bulk = await client.post(
        "/api/v1/users/bulk-actions",
        json={"user_ids": [str(victim)], "action": "deactivate"},
        headers=attacker.headers,
    )
    graphql = await gql(
        client,
        UPDATE_USER,
        {"id": str(victim), "input": {"email": "attacker@evil.example"}},
        token=attacker.token,
    )

    # then
    assert bulk.status_code == 200, bulk.text
    assert bulk.json()["failed_users"][0]["code"] == "PRIVILEGE_ESCALATION"
    assert graphql["data"]["updateUser"] == {
        "__typename": "PermissionDenied",
        "code": "PRIVILEGE_ESCALATION",
    }
    assert await email_of(app, victim) == "victim@example.com"


async def test_the_whole_chain_fails_at_its_first_step(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    attacker, role, victim, _ = await world(app)

    # when: switch the role off, take the holder's address, switch the role on again
    off = await client.put(
        f"/v1/admin/roles/{role}", json={"is_active": False}, headers=attacker.headers
    )
    takeover = await client.patch(
        f"/api/v1/users/{victim}",
        json={"email": "attacker@evil.example"},
        headers=attacker.headers,
    )
    on = await client.put(
        f"/v1/admin/roles/{role}", json={"is_active": True}, headers=attacker.headers
    )

    # then
    for response in (off, takeover, on):
        assert_error(response, 403, "PRIVILEGE_ESCALATION")
    assert await email_of(app, victim) == "victim@example.com"
    state = await role_state(app, role)
    assert state is not None
    assert state[1] is True
