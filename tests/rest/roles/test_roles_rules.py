"""The rules around roles: system roles are immutable, nobody grants what they do not hold, a
super-admin always remains, and a revoked permission stops working at once."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col

from identity.models import User
from tests.factories import add_user, caller, new_role, super_admin, token_for
from tests.support.app import runtime
from tests.support.audit import audit_events
from tests.support.graphql import error_code, gql
from tests.support.rows import permission_id, role_id
from tests.support.statements import counting

SYSTEM_ROLES = ["superadmin", "admin", "user"]
ROLES_QUERY = "{ roles { name } }"
UPDATE_ROLE = """
mutation($id: ID!, $input: UpdateRoleInput!) {
  updateRole(id: $id, input: $input) { __typename ... on Error { code message } }
}
"""
REMOVE_USER_ROLES = """
mutation($u: ID!, $r: [ID!]!) {
  removeUserRoles(userId: $u, roleIds: $r) {
    __typename ... on UserRolesPayload { roles { name } } ... on Error { code message }
  }
}
"""
ROLE_USERS = """
query($id: ID!, $after: String) {
  role(id: $id) {
    name
    users(first: 2, after: $after) {
      totalCount
      edges { cursor node { email } }
      nodes { email }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
}
"""


async def primary_role(app: FastAPI, user_id: object) -> str:
    async with runtime(app).database.read() as session:
        user = await session.get(User, user_id)
    assert user is not None
    return user.role


# --- system roles ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", SYSTEM_ROLES)
async def test_system_roles_cannot_be_changed_or_deleted(
    app: FastAPI, client: httpx.AsyncClient, name: str
) -> None:
    # given
    root = await super_admin(app)
    system = await role_id(app, name)
    reports = await permission_id(app, "reports:read")
    before = (await client.get(f"/v1/admin/roles/{system}", headers=root.headers)).json()

    # when
    attempts = [
        await client.put(f"/v1/admin/roles/{system}", json={"name": "x"}, headers=root.headers),
        await client.put(
            f"/api/v1/roles/{system}", json={"is_active": False}, headers=root.headers
        ),
        await client.delete(f"/v1/admin/roles/{system}", headers=root.headers),
        await client.delete(f"/api/v1/roles/{system}", headers=root.headers),
        await client.post(
            f"/v1/admin/roles/{system}/permissions",
            json={"permission_id": str(reports)},
            headers=root.headers,
        ),
        await client.delete(
            f"/v1/admin/roles/{system}/permissions/{reports}", headers=root.headers
        ),
        await client.request(
            "DELETE",
            f"/api/v1/roles/{system}/permissions",
            json={"permission_ids": [str(reports)]},
            headers=root.headers,
        ),
    ]
    graphql = await gql(
        client, UPDATE_ROLE, {"id": str(system), "input": {"description": "x"}}, token=root.token
    )

    # then
    for response in attempts:
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "SYSTEM_ROLE"
    assert graphql["data"]["updateRole"]["__typename"] == "ProtectedResource"
    assert graphql["data"]["updateRole"]["code"] == "SYSTEM_ROLE"
    after = (await client.get(f"/v1/admin/roles/{system}", headers=root.headers)).json()
    assert after == before


@pytest.mark.parametrize("name", ["superadmin", "Admin", " USER "])
async def test_no_role_takes_a_system_roles_name(
    app: FastAPI, client: httpx.AsyncClient, name: str
) -> None:
    # given
    root = await super_admin(app)
    custom = await new_role(app, name="custom")

    # when
    created = await client.post("/v1/admin/roles", json={"name": name}, headers=root.headers)
    renamed = await client.put(
        f"/v1/admin/roles/{custom}", json={"name": name}, headers=root.headers
    )

    # then
    for response in (created, renamed):
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "RESOURCE_CONFLICT"


async def test_role_names_are_unique_ignoring_case(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    root = await super_admin(app)
    await new_role(app, name="Manager")

    # when
    response = await client.post("/api/v1/roles", json={"name": "manager"}, headers=root.headers)

    # then
    assert response.status_code == 409, response.text
    assert response.json()["error"]["details"]["field"] == "name"


async def test_unknown_ids_are_404(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    root = await super_admin(app)
    role = await new_role(app)
    unknown = "00000000-0000-0000-0000-000000000001"

    # when
    missing_role = await client.get(f"/v1/admin/roles/{unknown}", headers=root.headers)
    missing_permission = await client.post(
        f"/v1/admin/roles/{role}/permissions", json={"permission_id": unknown}, headers=root.headers
    )
    missing_user = await client.post(
        f"/v1/admin/users/{unknown}/roles", json={"role_id": str(role)}, headers=root.headers
    )

    # then
    for response in (missing_role, missing_permission, missing_user):
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "RESOURCE_NOT_FOUND"
    assert missing_permission.json()["error"]["details"]["missing"] == [unknown]


# --- no escalation ---------------------------------------------------------------------------


async def test_an_admin_cannot_make_themself_superadmin(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    admin = await caller(app, role="admin")
    superadmin_role = await role_id(app, "superadmin")

    # when
    response = await client.post(
        f"/v1/admin/users/{admin.id}/roles",
        json={"role_id": str(superadmin_role)},
        headers=admin.headers,
    )

    # then
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["code"] == "PRIVILEGE_ESCALATION"
    assert "settings:write" in error["details"]["permissions"]
    assert await primary_role(app, admin.id) == "admin"


async def test_an_admin_cannot_grant_what_it_does_not_hold(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    admin = await caller(app, role="admin")
    custom = await new_role(app, name="helpdesk")
    settings_write = await permission_id(app, "settings:write")

    # when
    granted = await client.post(
        f"/v1/admin/roles/{custom}/permissions",
        json={"permission_id": str(settings_write)},
        headers=admin.headers,
    )
    created = await client.post(
        "/api/v1/roles",
        json={"name": "sneaky", "permission_ids": [str(settings_write)]},
        headers=admin.headers,
    )

    # then
    for response in (granted, created):
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "PRIVILEGE_ESCALATION"


async def test_an_admin_cannot_demote_a_superadmin(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    admin = await caller(app, role="admin")
    root = await super_admin(app)
    await super_admin(app)
    superadmin_role = await role_id(app, "superadmin")

    # when
    response = await client.delete(
        f"/v1/admin/users/{root.id}/roles/{superadmin_role}", headers=admin.headers
    )

    # then
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "PRIVILEGE_ESCALATION"
    assert await primary_role(app, root.id) == "superadmin"


# --- a super-admin remains -------------------------------------------------------------------


async def test_the_last_superadmin_keeps_the_role(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    root = await super_admin(app)
    superadmin_role = await role_id(app, "superadmin")
    # another super-admin, deactivated: it cannot log in, so it does not count
    await add_user(app, role="superadmin", email="gone@example.com")
    async with runtime(app).database.unit_of_work() as session:
        await session.execute(
            update(User).where(col(User.email_key) == "gone@example.com").values(is_active=False)
        )

    # when
    response = await client.delete(
        f"/v1/admin/users/{root.id}/roles/{superadmin_role}", headers=root.headers
    )
    graphql = await gql(
        client,
        REMOVE_USER_ROLES,
        {"u": str(root.id), "r": [str(superadmin_role)]},
        token=root.token,
    )

    # then
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "LAST_SUPERADMIN"
    assert graphql["data"]["removeUserRoles"]["__typename"] == "LastSuperAdmin"
    assert await primary_role(app, root.id) == "superadmin"


async def test_a_superadmin_may_step_down_while_another_remains(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given: the other super-admin holds the role as an extra role
    root = await super_admin(app)
    superadmin_role = await role_id(app, "superadmin")
    await add_user(app, roles=[superadmin_role])

    # when
    response = await client.delete(
        f"/v1/admin/users/{root.id}/roles/{superadmin_role}", headers=root.headers
    )

    # then
    assert response.status_code == 200, response.text
    assert [r["name"] for r in response.json()["roles"]] == ["user"]
    assert await primary_role(app, root.id) == "user"
    assert (await client.get("/v1/admin/roles", headers=root.headers)).status_code == 403
    [event] = await audit_events(app, "user.roles_removed")
    assert event.details["old_primary_role"] == "superadmin"
    assert event.details["new_primary_role"] == "user"


# --- revocation takes effect at once ---------------------------------------------------------


async def test_a_revoked_permission_stops_working_at_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given: a user holding a custom role without permissions, and its access token
    root = await super_admin(app)
    auditor = await new_role(app, name="auditor")
    user_id = await add_user(app, roles=[auditor])
    token = await token_for(app, user_id)
    headers = {"Authorization": f"Bearer {token}"}
    roles_read = str(await permission_id(app, "roles:read"))
    assert (await client.get("/v1/admin/roles", headers=headers)).status_code == 403

    # when: the role is granted roles:read
    granted = await client.post(
        f"/v1/admin/roles/{auditor}/permissions",
        json={"permission_id": roles_read},
        headers=root.headers,
    )

    # then: the same token may list roles
    assert granted.status_code == 200, granted.text
    assert (await client.get("/v1/admin/roles", headers=headers)).status_code == 200
    assert error_code(await gql(client, ROLES_QUERY, token=token)) is None

    # when: it is revoked
    revoked = await client.delete(
        f"/v1/admin/roles/{auditor}/permissions/{roles_read}", headers=root.headers
    )

    # then: the same token is refused at once, on both surfaces
    assert revoked.status_code == 200, revoked.text
    after = await client.get("/v1/admin/roles", headers=headers)
    assert after.status_code == 403, after.text
    assert after.json()["error"]["code"] == "PERMISSION_DENIED"
    assert error_code(await gql(client, ROLES_QUERY, token=token)) == "PERMISSION_DENIED"


@pytest.mark.parametrize("how", ["remove the role", "deactivate the role", "delete the role"])
async def test_losing_a_role_stops_its_permissions_at_once(
    app: FastAPI, client: httpx.AsyncClient, how: str
) -> None:
    # given
    root = await super_admin(app)
    reader = await new_role(app, ["roles:read"], name="reader")
    user_id = await add_user(app, roles=[reader])
    headers = {"Authorization": f"Bearer {await token_for(app, user_id)}"}
    assert (await client.get("/api/v1/roles", headers=headers)).status_code == 200

    # when
    if how == "remove the role":
        changed = await client.request(
            "DELETE",
            f"/api/v1/users/{user_id}/roles",
            json={"role_ids": [str(reader)]},
            headers=root.headers,
        )
    elif how == "deactivate the role":
        changed = await client.put(
            f"/api/v1/roles/{reader}", json={"is_active": False}, headers=root.headers
        )
    else:
        changed = await client.delete(f"/api/v1/roles/{reader}", headers=root.headers)

    # then
    assert changed.status_code == 200, changed.text
    assert (await client.get("/api/v1/roles", headers=headers)).status_code == 403


# --- primary roles ---------------------------------------------------------------------------


async def test_a_primary_role_cannot_be_deleted_and_follows_a_rename(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given: an account whose primary role (users.role) is a custom role
    root = await super_admin(app)
    reader = await new_role(app, ["roles:read"], name="reader")
    user_id = await add_user(app, role="reader")
    headers = {"Authorization": f"Bearer {await token_for(app, user_id)}"}

    # when
    deleted = await client.delete(f"/v1/admin/roles/{reader}", headers=root.headers)
    renamed = await client.put(
        f"/v1/admin/roles/{reader}", json={"name": "Role reader"}, headers=root.headers
    )

    # then
    assert deleted.status_code == 409, deleted.text
    assert deleted.json()["error"]["details"]["primary_holders"] == 1
    assert renamed.status_code == 200, renamed.text
    assert await primary_role(app, user_id) == "Role reader"
    assert (await client.get("/v1/admin/roles", headers=headers)).status_code == 200
    [event] = await audit_events(app, "role.updated")
    assert event.details["old"]["name"] == "reader"
    assert event.details["new"]["name"] == "Role reader"
    assert event.actor_id == root.id


async def test_the_base_user_role_cannot_be_removed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    root = await super_admin(app)
    user_id = await add_user(app)
    user_role = await role_id(app, "user")

    # when
    response = await client.delete(
        f"/v1/admin/users/{user_id}/roles/{user_role}", headers=root.headers
    )

    # then
    assert response.status_code == 422, response.text


async def test_changes_are_audited(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    root = await super_admin(app)
    users_read = str(await permission_id(app, "users:read"))
    user_id = await add_user(app)

    # when
    created = await client.post("/v1/admin/roles", json={"name": "ops"}, headers=root.headers)
    role = created.json()["id"]
    await client.post(
        f"/v1/admin/roles/{role}/permissions",
        json={"permission_id": users_read},
        headers=root.headers,
    )
    await client.post(
        f"/v1/admin/users/{user_id}/roles", json={"role_id": role}, headers=root.headers
    )
    await client.delete(f"/v1/admin/users/{user_id}/roles/{role}", headers=root.headers)
    await client.delete(f"/v1/admin/roles/{role}/permissions/{users_read}", headers=root.headers)
    await client.delete(f"/v1/admin/roles/{role}", headers=root.headers)

    # then
    expected = {
        "role.created": {"name": "ops"},
        "role.permissions_granted": {"permissions": ["users:read"]},
        "user.roles_assigned": {"roles": ["ops"]},
        "user.roles_removed": {"roles": ["ops"]},
        "role.permissions_revoked": {"permissions": ["users:read"]},
        "role.deleted": {"name": "ops"},
    }
    for event_type, details in expected.items():
        [event] = await audit_events(app, event_type)
        assert event.actor_id == root.id
        assert event.details.items() >= details.items(), (event_type, event.details)


# --- Role.users ------------------------------------------------------------------------------


async def test_role_users_is_a_connection(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given: three holders, one of them by primary role
    reader = await new_role(app, name="reader")
    viewer = await caller(app, permissions=["roles:read", "users:read"], email="z@example.com")
    for email in ("b@example.com", "c@example.com"):
        await add_user(app, roles=[reader], email=email)
    await add_user(app, role="reader", email="a@example.com")

    # when
    first = await gql(client, ROLE_USERS, {"id": str(reader)}, token=viewer.token)
    cursor = first["data"]["role"]["users"]["pageInfo"]["endCursor"]
    second = await gql(client, ROLE_USERS, {"id": str(reader), "after": cursor}, token=viewer.token)

    # then
    page = first["data"]["role"]["users"]
    assert page["totalCount"] == 3
    assert [edge["node"]["email"] for edge in page["edges"]] == ["a@example.com", "b@example.com"]
    assert page["nodes"] == [edge["node"] for edge in page["edges"]]
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["pageInfo"]["hasPreviousPage"] is False
    rest = second["data"]["role"]["users"]
    assert [node["email"] for node in rest["nodes"]] == ["c@example.com"]
    assert rest["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "endCursor": rest["edges"][0]["cursor"],
    }


async def test_role_users_needs_users_read(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    reader = await new_role(app, name="reader")
    viewer = await caller(app, permissions=["roles:read"])

    # when
    body = await gql(client, ROLE_USERS, {"id": str(reader)}, token=viewer.token)

    # then: the role, without its users
    assert body["data"]["role"] == {"name": "reader", "users": None}
    assert error_code(body) == "PERMISSION_DENIED"


ROLES_WITH_EVERYTHING = (
    "{ roles { name permissions { name } users { totalCount nodes { email } } } }"
)


async def test_listing_roles_costs_the_same_whatever_their_number(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    viewer = await caller(app, permissions=["roles:read", "users:read"])

    async def statements() -> int:
        with counting(app) as seen:
            body = await gql(client, ROLES_WITH_EVERYTHING, token=viewer.token)
        assert "errors" not in body, body
        return len(seen.asked)

    few = await statements()
    for number in range(4):
        role = await new_role(app, ["users:read"], name=f"extra-{number}")
        await add_user(app, roles=[role])

    # when
    many = await statements()

    # then
    assert many == few


async def test_two_grants_in_one_operation_each_answer_the_role_as_it_then_is(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Mutations run one after the other; the second answer must not be the first's copy."""
    admin = await super_admin(app)
    role = await new_role(app)
    first = await permission_id(app, "audit:read")
    second = await permission_id(app, "reports:read")
    granted = """
    mutation($r: ID!, $a: [ID!]!, $b: [ID!]!) {
      one: grantRolePermissions(roleId: $r, permissionIds: $a) {
        ... on RolePayload { role { permissions { name } } }
      }
      two: grantRolePermissions(roleId: $r, permissionIds: $b) {
        ... on RolePayload { role { permissions { name } } }
      }
    }
    """

    body = await gql(
        client,
        granted,
        {"r": str(role), "a": [str(first)], "b": [str(second)]},
        token=admin.token,
    )

    assert "errors" not in body, body
    names = {
        key: [permission["name"] for permission in body["data"][key]["role"]["permissions"]]
        for key in ("one", "two")
    }
    assert names == {"one": ["audit:read"], "two": ["audit:read", "reports:read"]}
