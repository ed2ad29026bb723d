"""The users-administration routes as seeds 000, 003 and 004 document them, called by a
super-admin, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.factories import PASSWORD, add_user, new_tenant, root
from tests.support.app import runtime
from tests.support.audit import audit_events
from tests.support.clocks import minutes_from
from tests.support.http import assert_error, assert_fields, bearer
from tests.support.rows import user_row

LIST_ITEM = (
    "id",
    "email",
    "first_name",
    "last_name",
    "role",
    "status",
    "is_active",
    "email_verified",
    "last_login",
    "created_at",
)


# --- seed 000: /api/v1/users ---------------------------------------------------------------


async def test_000_list_users_is_a_page(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    await add_user(app, "user@example.com", first_name="John", last_name="Doe")

    response = await client.get("/api/v1/users?page=1&size=20", headers=bearer(token))

    assert response.status_code == 200, response.text
    body = response.json()
    assert_fields(body, ("items", "total", "page", "size", "pages"))
    assert (body["total"], body["page"], body["size"], body["pages"]) == (2, 1, 20, 1)
    john = next(item for item in body["items"] if item["email"] == "user@example.com")
    assert_fields(john, LIST_ITEM)
    assert (john["first_name"], john["role"], john["status"]) == ("John", "user", "active")


async def test_000_get_user(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    user_id = await add_user(app, "user@example.com", first_name="John")

    response = await client.get(f"/api/v1/users/{user_id}", headers=bearer(token))

    assert response.status_code == 200, response.text
    assert_fields(response.json(), (*LIST_ITEM, "updated_at"))
    assert response.json()["id"] == str(user_id)


async def test_000_get_unknown_user_is_404(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)

    response = await client.get(
        "/api/v1/users/123e4567-e89b-12d3-a456-426614174000", headers=bearer(token)
    )

    assert_error(response, 404, "RESOURCE_NOT_FOUND")


async def test_000_create_user(app: FastAPI, client: httpx.AsyncClient) -> None:
    admin_id, token = await root(app)
    body = {
        "email": "newuser@example.com",
        "password": PASSWORD,  # the seed's "password123" is refused: see below
        "first_name": "Jane",
        "last_name": "Smith",
        "role": "user",
    }

    response = await client.post("/api/v1/users", json=body, headers=bearer(token))

    assert response.status_code == 201, response.text
    created = response.json()
    assert_fields(created, (*LIST_ITEM[:-2], "created_at"))
    assert (created["email"], created["role"], created["status"]) == (
        "newuser@example.com",
        "user",
        "active",
    )
    assert (created["is_active"], created["email_verified"]) == (True, False)
    login = await client.post(
        "/api/v1/auth/login", json={"email": "newuser@example.com", "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    [event] = await audit_events(app, "user.created")
    assert (event.actor_id, str(event.subject_id)) == (admin_id, created["id"])


async def test_000_create_user_applies_the_password_policy(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await root(app)

    response = await client.post(
        "/api/v1/users",
        json={"email": "newuser@example.com", "password": "password123"},
        headers=bearer(token),
    )

    assert_error(response, 422, "PASSWORD_TOO_COMMON")


async def test_create_user_with_a_taken_email_or_username_is_409(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await root(app)
    await add_user(app, "taken@example.com", username="taken")

    by_email = await client.post(
        "/api/v1/users",
        json={"email": "TAKEN@example.com", "password": PASSWORD},
        headers=bearer(token),
    )
    by_username = await client.post(
        "/api/v1/users",
        json={"email": "other@example.com", "password": PASSWORD, "username": "Taken"},
        headers=bearer(token),
    )

    assert assert_error(by_email, 409, "RESOURCE_CONFLICT")["details"]["field"] == "email"
    assert assert_error(by_username, 409, "RESOURCE_CONFLICT")["details"]["field"] == "username"


async def test_create_user_with_an_unknown_role_is_422(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await root(app)

    response = await client.post(
        "/api/v1/users",
        json={"email": "new@example.com", "password": PASSWORD, "role": "emperor"},
        headers=bearer(token),
    )

    assert assert_error(response, 422, "VALIDATION_ERROR")["details"]["field"] == "role"


async def test_000_put_replaces_a_user(app: FastAPI, client: httpx.AsyncClient) -> None:
    admin_id, token = await root(app)
    user_id = await add_user(
        app, "user@example.com", first_name="John", display_name="Johnny", username="johnny"
    )
    body = {
        "email": "updated@example.com",
        "first_name": "Jane",
        "last_name": "Doe",
        "role": "admin1",
        "status": "active",
        "is_active": True,
    }

    response = await client.put(f"/api/v1/users/{user_id}", json=body, headers=bearer(token))

    assert response.status_code == 200, response.text
    updated = response.json()
    assert_fields(updated, (*body, "id", "updated_at"))
    assert {key: updated[key] for key in body} == body
    # A complete replacement: profile fields that were not sent are cleared.
    assert (updated["display_name"], updated["username"]) == (None, None)
    assert "users:lock" in updated["permissions"]  # admin1's
    [event] = await audit_events(app, "user.updated")
    assert event.actor_id == admin_id
    assert event.details["old"]["role"] == "user"
    assert event.details["new"]["role"] == "admin1"
    assert event.details["old"]["email"] == "user@example.com"


async def test_000_patch_changes_only_what_is_sent(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    user_id = await add_user(app, "user@example.com", first_name="John", last_name="Doe")

    response = await client.patch(
        f"/api/v1/users/{user_id}",
        json={"first_name": "Updated Name", "status": "inactive"},
        headers=bearer(token),
    )

    assert response.status_code == 200, response.text
    patched = response.json()
    assert (patched["first_name"], patched["last_name"]) == ("Updated Name", "Doe")
    assert (patched["status"], patched["is_active"]) == ("inactive", False)


async def test_patch_to_a_taken_email_is_409(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    await add_user(app, "taken@example.com")
    user_id = await add_user(app, "user@example.com")

    response = await client.patch(
        f"/api/v1/users/{user_id}", json={"email": "Taken@Example.com"}, headers=bearer(token)
    )

    assert_error(response, 409, "RESOURCE_CONFLICT")
    assert (await user_row(app, user_id)).email == "user@example.com"  # type: ignore[union-attr]


async def test_000_delete_user(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    user_id = await add_user(app, "user@example.com")

    response = await client.delete(f"/api/v1/users/{user_id}", headers=bearer(token))

    assert response.status_code == 204, response.text
    assert response.content == b""
    assert await user_row(app, user_id) is None
    gone = await client.get(f"/api/v1/users/{user_id}", headers=bearer(token))
    assert_error(gone, 404, "RESOURCE_NOT_FOUND")
    [event] = await audit_events(app, "user.deleted")
    assert event.details["old"]["email"] == "user@example.com"


async def test_000_lock_and_unlock(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    user_id = await add_user(app, "user@example.com")
    now = runtime(app).clock.now()

    locked = await client.post(
        f"/api/v1/users/{user_id}/lock",
        json={"reason": "Security violation", "duration_minutes": 60},
        headers=bearer(token),
    )
    unlocked = await client.post(f"/api/v1/users/{user_id}/unlock", headers=bearer(token))

    assert locked.status_code == 200, locked.text
    assert locked.json()["message"] == "User account locked successfully"
    assert 59 < minutes_from(locked.json()["locked_until"], now) < 61
    assert locked.json()["user"]["status"] == "locked"
    assert unlocked.status_code == 200, unlocked.text
    assert unlocked.json()["message"] == "User account unlocked successfully"
    row = await user_row(app, user_id)
    assert row is not None
    assert (row.status, row.locked_until, row.locked_at) == ("active", None, None)
    [lock_event] = await audit_events(app, "user.locked")
    assert lock_event.details["reason"] == "Security violation"
    assert len(await audit_events(app, "user.unlocked")) == 1


async def test_000_bulk_deactivation(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    first, second = await add_user(app), await add_user(app)

    response = await client.post(
        "/api/v1/users/bulk-actions",
        json={
            "user_ids": [str(first), str(second)],
            "action": "deactivate",
            "reason": "Bulk deactivation",
        },
        headers=bearer(token),
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["message"], body["affected_users"], body["failed_users"]) == (
        "Bulk action completed",
        2,
        [],
    )
    for user_id in (first, second):
        row = await user_row(app, user_id)
        assert row is not None
        assert (row.is_active, row.status) == (False, "inactive")
    assert len(await audit_events(app, "user.deactivated")) == 2


async def test_bulk_reports_each_failure(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    user_id = await add_user(app)
    unknown = "123e4567-e89b-12d3-a456-426614174000"

    response = await client.post(
        "/api/v1/users/bulk-actions",
        json={"user_ids": [str(user_id), unknown], "action": "lock"},
        headers=bearer(token),
    )

    body = response.json()
    assert body["affected_users"] == 1
    assert body["failed_users"] == [
        {"user_id": unknown, "code": "RESOURCE_NOT_FOUND", "message": "User not found"}
    ]
    assert [result["ok"] for result in body["results"]] == [True, False]


async def test_bulk_assign_role(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    user_id = await add_user(app)

    response = await client.post(
        "/api/v1/users/bulk-actions",
        json={"user_ids": [str(user_id)], "action": "assign_role", "role": "admin2"},
        headers=bearer(token),
    )
    missing_role = await client.post(
        "/api/v1/users/bulk-actions",
        json={"user_ids": [str(user_id)], "action": "assign_role"},
        headers=bearer(token),
    )

    assert response.json()["affected_users"] == 1
    assert (await user_row(app, user_id)).role == "admin2"  # type: ignore[union-attr]
    assert assert_error(missing_role, 422, "VALIDATION_ERROR")["details"]["field"] == "role"


# --- seed 000: /api/v1/admin/users ---------------------------------------------------------


async def test_000_list_admins(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    await add_user(app, "admin1@example.com", role="admin1", first_name="Admin")
    await add_user(app, "user@example.com")

    response = await client.get("/api/v1/admin/users", headers=bearer(token))

    assert response.status_code == 200, response.text
    body = response.json()
    assert sorted(item["email"] for item in body["items"]) == [
        "admin1@example.com",
        "root@example.com",
    ]
    assert body["total"] == 2
    admin1 = next(item for item in body["items"] if item["role"] == "admin1")
    assert_fields(admin1, ("permissions", "last_login", "created_at", "status", "first_name"))
    assert {"users:read", "users:write"} <= set(admin1["permissions"])


async def test_000_create_admin(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    body = {
        "email": "newadmin@example.com",
        "password": "adminpassword123",
        "first_name": "New",
        "last_name": "Admin",
        "role": "admin2",
        "permissions": ["users:read", "users:write"],
    }

    response = await client.post("/api/v1/admin/users", json=body, headers=bearer(token))

    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["role"], created["status"]) == ("admin2", "active")
    assert created["direct_permissions"] == ["users:read", "users:write"]
    assert {"users:read", "users:write"} <= set(created["permissions"])


async def test_creating_an_admin_with_role_user_is_422(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await root(app)

    response = await client.post(
        "/api/v1/admin/users",
        json={"email": "a@example.com", "password": PASSWORD, "role": "user"},
        headers=bearer(token),
    )

    assert assert_error(response, 422, "VALIDATION_ERROR")["details"]["field"] == "role"


async def test_000_set_admin_permissions(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    admin_id = await add_user(app, role="admin3", permissions=["audit:read"])
    wanted = ["users:read", "users:write", "users:delete", "reports:read"]

    response = await client.put(
        f"/api/v1/admin/users/{admin_id}/permissions",
        json={"permissions": wanted},
        headers=bearer(token),
    )

    assert response.status_code == 200, response.text
    assert response.json()["message"] == "Permissions updated successfully"
    assert response.json()["permissions"] == sorted(wanted)
    assert "audit:read" not in response.json()["effective_permissions"]
    [event] = await audit_events(app, "user.permissions_set")
    assert event.details == {
        "old": {"permissions": ["audit:read"]},
        "new": {"permissions": sorted(wanted)},
    }


async def test_setting_unknown_permissions_is_422(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    admin_id = await add_user(app, role="admin3")

    response = await client.put(
        f"/api/v1/admin/users/{admin_id}/permissions",
        json={"permissions": ["users:read", "users:fly"]},
        headers=bearer(token),
    )

    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"] == {"unknown": ["users:fly"], "field": "permissions"}


# --- seed 004: /api/v1/users ---------------------------------------------------------------


async def test_004_list_with_skip_limit_and_is_active(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await root(app)
    await add_user(app, "off@example.com", is_active=False, status="inactive")
    await add_user(app, "on@example.com")

    response = await client.get(
        "/api/v1/users?skip=0&limit=100&search=&is_active=true", headers=bearer(token)
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert sorted(item["email"] for item in body["items"]) == [
        "on@example.com",
        "root@example.com",
    ]
    assert (body["skip"], body["limit"], body["total"]) == (0, 100, 2)


async def test_004_create_user_with_username(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    organization = await new_tenant(app)  # the example's org_uuid_here
    body = {
        "email": "newuser@example.com",
        "username": "newuser",
        "password": "SecurePassword123!",
        "first_name": "New",
        "last_name": "User",
        "organization_id": str(organization),
    }

    response = await client.post("/api/v1/users", json=body, headers=bearer(token))

    assert response.status_code == 201, response.text
    assert (response.json()["username"], response.json()["first_name"]) == ("newuser", "New")
    assert response.json()["organization_id"] == str(organization)


async def test_004_update_user(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    user_id = await add_user(app, "user@example.com")
    body = {
        "username": "updateduser",
        "first_name": "Updated",
        "last_name": "User",
        "is_active": True,
        "is_verified": True,
    }

    response = await client.put(f"/api/v1/users/{user_id}", json=body, headers=bearer(token))

    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["username"], updated["is_verified"], updated["email"]) == (
        "updateduser",
        True,
        "user@example.com",
    )


async def test_004_users_me_is_not_shadowed(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)

    me = await client.get("/api/v1/users/me", headers=bearer(token))
    changed = await client.put(
        "/api/v1/users/me", json={"first_name": "Root"}, headers=bearer(token)
    )
    not_an_id = await client.get("/api/v1/users/not-a-uuid", headers=bearer(token))

    assert (me.status_code, me.json()["email"]) == (200, "root@example.com")
    assert (changed.status_code, changed.json()["first_name"]) == (200, "Root")
    assert_error(not_an_id, 404, "RESOURCE_NOT_FOUND")


# --- seed 003: /v1/users -------------------------------------------------------------------


async def test_003_users_routes(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    headers = bearer(token)

    created = await client.post(
        "/v1/users", json={"email": "user1@example.com", "password": PASSWORD}, headers=headers
    )
    user_id = created.json()["id"]
    listed = await client.get("/v1/users?limit=20&offset=0", headers=headers)
    fetched = await client.get(f"/v1/users/{user_id}", headers=headers)
    updated = await client.put(
        f"/v1/users/{user_id}", json={"first_name": "User", "last_name": "One"}, headers=headers
    )
    deleted = await client.delete(f"/v1/users/{user_id}", headers=headers)
    gone = await client.get(f"/v1/users/{user_id}", headers=headers)

    assert created.status_code == 201, created.text
    assert_fields(listed.json(), ("users", "total", "limit", "offset", "count"))
    assert (listed.json()["total"], listed.json()["count"], listed.json()["limit"]) == (2, 2, 20)
    assert fetched.json()["email"] == "user1@example.com"
    assert (updated.json()["first_name"], updated.json()["email"]) == ("User", "user1@example.com")
    assert (deleted.status_code, deleted.json()) == (200, {"message": "User deleted"})
    assert_error(gone, 404, "RESOURCE_NOT_FOUND")
