"""The seeds' example requests for roles, permissions and users' roles, as documented.

Seed 003 calls them with an ``admin`` token; seed 004 with an admin token for roles and a
super-admin token for permissions. Placeholders of the examples (``{role_id}``,
``optional-tenant-uuid``, ``perm_uuid_1``) are replaced by real ids.
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from identity.permissions import Permission
from tests.factories import add_user, caller, new_role, new_tenant, super_admin
from tests.support.http import assert_fields
from tests.support.rows import permission_id

ROLE_FIELDS = {"id", "name", "description", "is_active", "is_system", "created_at", "updated_at"}
PERMISSION_FIELDS = {"id", "name", "resource", "action", "description"}


async def test_seed_003_create_role(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    admin = await caller(app, role="admin")
    tenant = str(await new_tenant(app))

    # when
    response = await client.post(
        "/v1/admin/roles",
        json={
            "name": "manager",
            "description": "Team manager with elevated permissions",
            "tenant_id": tenant,
        },
        headers=admin.headers,
    )

    # then
    assert response.status_code == 201, response.text
    body = response.json()
    assert_fields(body, ROLE_FIELDS)
    assert body["name"] == "manager"
    assert body["tenant_id"] == tenant
    assert body["is_system"] is False
    assert body["permissions"] == []


async def test_seed_003_update_role(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    admin = await caller(app, role="admin")
    role_id = await new_role(app, name="manager")

    # when
    response = await client.put(
        f"/v1/admin/roles/{role_id}",
        json={"description": "Updated description"},
        headers=admin.headers,
    )

    # then
    assert response.status_code == 200, response.text
    assert response.json()["description"] == "Updated description"
    assert response.json()["name"] == "manager"


async def test_seed_003_assign_permission_to_role(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    admin = await caller(app, role="admin")
    role_id = await new_role(app, name="manager")
    users_read = await permission_id(app, "users:read")

    # when
    response = await client.post(
        f"/v1/admin/roles/{role_id}/permissions",
        json={"permission_id": str(users_read)},
        headers=admin.headers,
    )

    # then
    assert response.status_code == 200, response.text
    assert [p["name"] for p in response.json()["permissions"]] == ["users:read"]
    listed = await client.get(f"/v1/admin/roles/{role_id}/permissions", headers=admin.headers)
    assert [p["name"] for p in listed.json()["permissions"]] == ["users:read"]


async def test_seed_003_remove_permission_from_role(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    admin = await caller(app, role="admin")
    role_id = await new_role(app, ["users:read", "audit:read"], name="manager")
    users_read = await permission_id(app, "users:read")

    # when
    response = await client.delete(
        f"/v1/admin/roles/{role_id}/permissions/{users_read}", headers=admin.headers
    )

    # then
    assert response.status_code == 200, response.text
    assert [p["name"] for p in response.json()["permissions"]] == ["audit:read"]


async def test_seed_003_list_permissions(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    admin = await caller(app, role="admin")

    # when
    response = await client.get("/v1/admin/permissions", headers=admin.headers)

    # then
    assert response.status_code == 200, response.text
    permissions = response.json()["permissions"]
    assert {p["name"] for p in permissions} == {p.value for p in Permission}
    for permission in permissions:
        assert_fields(permission, PERMISSION_FIELDS)
        assert permission["is_system"] is True


async def test_seed_003_list_and_get_roles(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    admin = await caller(app, role="admin")

    # when
    listed = await client.get("/v1/admin/roles", headers=admin.headers)
    admin_role = next(r for r in listed.json()["roles"] if r["name"] == "admin")
    one = await client.get(f"/v1/admin/roles/{admin_role['id']}", headers=admin.headers)

    # then
    assert listed.status_code == 200, listed.text
    names = {role["name"] for role in listed.json()["roles"]}
    assert {"superadmin", "admin", "user", "admin1", "admin2", "admin3"} <= names
    assert one.status_code == 200, one.text
    assert one.json()["is_system"] is True
    assert "settings:write" not in {p["name"] for p in one.json()["permissions"]}
    assert "roles:write" in {p["name"] for p in one.json()["permissions"]}


async def test_seed_003_assign_and_remove_a_users_role(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    admin = await caller(app, role="admin")
    user_id = await add_user(app)
    role_id = await new_role(app, ["users:read"], name="manager")

    # when
    assigned = await client.post(
        f"/v1/admin/users/{user_id}/roles", json={"role_id": str(role_id)}, headers=admin.headers
    )
    removed = await client.delete(
        f"/v1/admin/users/{user_id}/roles/{role_id}", headers=admin.headers
    )

    # then
    assert assigned.status_code == 200, assigned.text
    assert [r["name"] for r in assigned.json()["roles"]] == ["manager", "user"]
    assert removed.status_code == 200, removed.text
    assert [r["name"] for r in removed.json()["roles"]] == ["user"]


async def test_seed_003_delete_role(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    admin = await caller(app, role="admin")
    role_id = await new_role(app, name="manager")

    # when
    response = await client.delete(f"/v1/admin/roles/{role_id}", headers=admin.headers)

    # then
    assert response.status_code == 200, response.text
    gone = await client.get(f"/v1/admin/roles/{role_id}", headers=admin.headers)
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "RESOURCE_NOT_FOUND"


async def test_seed_004_role_lifecycle(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    admin = await caller(app, role="admin")
    perm_1 = str(await permission_id(app, "users:read"))
    perm_2 = str(await permission_id(app, "audit:read"))

    # when: 1. create
    created = await client.post(
        "/api/v1/roles",
        json={
            "name": "Manager",
            "description": "Manager role with specific permissions",
            "is_active": True,
        },
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    role_id = created.json()["id"]
    # 2. list
    listed = await client.get(
        "/api/v1/roles?skip=0&limit=100&search=&is_active=true", headers=admin.headers
    )
    # 3. get
    one = await client.get(f"/api/v1/roles/{role_id}", headers=admin.headers)
    # 4. update
    updated = await client.put(
        f"/api/v1/roles/{role_id}",
        json={
            "name": "Updated Manager",
            "description": "Updated role description",
            "is_active": True,
        },
        headers=admin.headers,
    )
    # 6. assign permissions
    granted = await client.post(
        f"/api/v1/roles/{role_id}/permissions",
        json={"permission_ids": [perm_1, perm_2]},
        headers=admin.headers,
    )
    # 7. remove permissions
    revoked = await client.request(
        "DELETE",
        f"/api/v1/roles/{role_id}/permissions",
        json={"permission_ids": [perm_1, perm_2]},
        headers=admin.headers,
    )
    # 5. delete
    deleted = await client.delete(f"/api/v1/roles/{role_id}", headers=admin.headers)

    # then
    assert listed.status_code == 200, listed.text
    assert "Manager" in [role["name"] for role in listed.json()]
    assert one.status_code == 200, one.text
    assert_fields(one.json(), ROLE_FIELDS)
    assert updated.json()["name"] == "Updated Manager"
    assert updated.json()["description"] == "Updated role description"
    assert {p["name"] for p in granted.json()["permissions"]} == {"users:read", "audit:read"}
    assert revoked.json()["permissions"] == []
    assert deleted.status_code == 200, deleted.text
    assert (await client.get(f"/api/v1/roles/{role_id}", headers=admin.headers)).status_code == 404


async def test_seed_004_list_roles_filters(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    admin = await caller(app, role="admin")
    await new_role(app, name="Warehouse manager")
    inactive = await new_role(app, name="Retired manager")
    await client.put(f"/api/v1/roles/{inactive}", json={"is_active": False}, headers=admin.headers)

    # when
    active = await client.get("/api/v1/roles?search=MANAGER&is_active=true", headers=admin.headers)
    every = await client.get("/api/v1/roles?search=manager", headers=admin.headers)
    page = await client.get("/api/v1/roles?skip=1&limit=2", headers=admin.headers)

    # then
    assert [role["name"] for role in active.json()] == ["Warehouse manager"]
    assert [role["name"] for role in every.json()] == ["Retired manager", "Warehouse manager"]
    assert len(page.json()) == 2


async def test_seed_004_users_roles(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    admin = await caller(app, role="admin")
    user_id = await add_user(app)
    role_1 = str(await new_role(app, ["users:read"], name="reader"))
    role_2 = str(await new_role(app, ["audit:read"], name="auditor"))

    # when
    assigned = await client.post(
        f"/api/v1/users/{user_id}/roles",
        json={"role_ids": [role_1, role_2]},
        headers=admin.headers,
    )
    listed = await client.get(f"/api/v1/users/{user_id}/roles", headers=admin.headers)
    removed = await client.request(
        "DELETE",
        f"/api/v1/users/{user_id}/roles",
        json={"role_ids": [role_1, role_2]},
        headers=admin.headers,
    )

    # then
    assert assigned.status_code == 200, assigned.text
    assert [r["name"] for r in assigned.json()["roles"]] == ["auditor", "reader", "user"]
    assert [r["name"] for r in listed.json()["roles"]] == ["auditor", "reader", "user"]
    assert removed.status_code == 200, removed.text
    assert [r["name"] for r in removed.json()["roles"]] == ["user"]


async def test_seed_004_permission_lifecycle(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    root = await super_admin(app)

    # when: 1. create
    created = await client.post(
        "/api/v1/permissions",
        json={
            "name": "user:create",
            "description": "Create users",
            "resource": "user",
            "action": "create",
        },
        headers=root.headers,
    )
    assert created.status_code == 201, created.text
    permission = created.json()["id"]
    # 2. grouped
    grouped = await client.get(
        "/api/v1/permissions/grouped?search=&resource=&action=", headers=root.headers
    )
    # 3. get
    one = await client.get(f"/api/v1/permissions/{permission}", headers=root.headers)
    # 4. update
    updated = await client.put(
        f"/api/v1/permissions/{permission}",
        json={
            "name": "user:update",
            "description": "Update users",
            "resource": "user",
            "action": "update",
        },
        headers=root.headers,
    )
    # 5. delete
    deleted = await client.delete(f"/api/v1/permissions/{permission}", headers=root.headers)

    # then
    assert_fields(created.json(), PERMISSION_FIELDS)
    assert created.json()["is_system"] is False
    assert [p["name"] for p in grouped.json()["user"]] == ["user:create"]
    assert [p["name"] for p in grouped.json()["users"]] == [
        "users:delete",
        "users:impersonate",
        "users:lock",
        "users:read",
        "users:write",
    ]
    assert one.json()["name"] == "user:create"
    assert updated.status_code == 200, updated.text
    assert (updated.json()["name"], updated.json()["action"]) == ("user:update", "update")
    assert deleted.status_code == 200, deleted.text
    gone = await client.get(f"/api/v1/permissions/{permission}", headers=root.headers)
    assert gone.status_code == 404


async def test_seed_004_grouped_filters(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    root = await super_admin(app)

    # when
    by_resource = await client.get(
        "/api/v1/permissions/grouped?resource=roles", headers=root.headers
    )
    by_action = await client.get("/api/v1/permissions/grouped?action=write", headers=root.headers)
    by_search = await client.get("/api/v1/permissions/grouped?search=audit", headers=root.headers)

    # then
    assert by_resource.json() == {"roles": by_resource.json()["roles"]}
    assert [p["name"] for p in by_resource.json()["roles"]] == ["roles:read", "roles:write"]
    assert sorted(by_action.json()) == [
        "locations",
        "permissions",
        "roles",
        "settings",
        "tenants",
        "users",
    ]
    assert sorted(by_search.json()) == ["audit"]
