"""What administration must never do: leave no super-admin, hand out what the caller does not
hold, or let a locked, deactivated or deleted account keep working. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.models import Role, UserRole
from tests.factories import PASSWORD, add_user, caller, new_primary_role, root, token_for
from tests.support.app import runtime
from tests.support.clocks import install_clock
from tests.support.graphql import gql
from tests.support.http import assert_error, bearer, me_status
from tests.support.rows import user_row

# (name, method, path, body): each would take the last active super-admin away.
REMOVALS = [
    ("lock", "POST", "/api/v1/users/{id}/lock", {"reason": "oops"}),
    ("timed lock", "POST", "/api/v1/users/{id}/lock", {"duration_minutes": 5}),
    ("deactivate", "PATCH", "/api/v1/users/{id}", {"is_active": False}),
    ("status inactive", "PATCH", "/api/v1/users/{id}", {"status": "inactive"}),
    ("status locked", "PATCH", "/api/v1/users/{id}", {"status": "locked"}),
    ("demote", "PUT", "/api/v1/users/{id}", {"role": "admin"}),
    ("delete", "DELETE", "/api/v1/users/{id}", None),
    ("delete (003)", "DELETE", "/v1/users/{id}", None),
]


@pytest.mark.parametrize(("name", "method", "path", "body"), REMOVALS, ids=[r[0] for r in REMOVALS])
async def test_the_last_superadmin_stays(
    app: FastAPI,
    client: httpx.AsyncClient,
    name: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    root_id, token = await root(app)

    response = await client.request(
        method, path.format(id=root_id), json=body, headers=bearer(token)
    )

    error = assert_error(response, 409, "LAST_SUPERADMIN")
    assert "super-admin" in error["message"]
    row = await user_row(app, root_id)
    assert row is not None
    assert (row.role, row.status, row.is_active) == ("superadmin", "active", True)
    assert await me_status(client, token) == 200


@pytest.mark.parametrize(("name", "method", "path", "body"), REMOVALS, ids=[r[0] for r in REMOVALS])
async def test_another_superadmin_may_be_removed(
    app: FastAPI,
    client: httpx.AsyncClient,
    name: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    _, token = await root(app)
    other_id, _ = await root(app, "second@example.com")

    response = await client.request(
        method, path.format(id=other_id), json=body, headers=bearer(token)
    )

    assert response.status_code in (200, 204), response.text


async def test_a_locked_superadmin_does_not_count(app: FastAPI, client: httpx.AsyncClient) -> None:
    root_id, token = await root(app)
    await add_user(app, "locked-root@example.com", role="superadmin", status="locked")
    await add_user(app, "off-root@example.com", role="superadmin", is_active=False)

    response = await client.delete(f"/api/v1/users/{root_id}", headers=bearer(token))

    assert_error(response, 409, "LAST_SUPERADMIN")


async def test_a_superadmin_through_user_roles_counts(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    root_id, token = await root(app)
    helper_id = await add_user(app, "helper@example.com")
    async with runtime(app).database.unit_of_work() as session:
        role_id = await session.scalar(select(col(Role.id)).where(col(Role.name) == "superadmin"))
        assert role_id is not None
        now = runtime(app).clock.now()
        session.add(UserRole(user_id=helper_id, role_id=role_id, created_at=now))

    response = await client.put(
        f"/api/v1/users/{root_id}", json={"role": "admin"}, headers=bearer(token)
    )

    assert response.status_code == 200, response.text


async def test_bulk_lock_of_every_superadmin_keeps_the_last(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    root_id, token = await root(app)
    other_id, _ = await root(app, "second@example.com")

    response = await client.post(
        "/api/v1/users/bulk-actions",
        json={"user_ids": [str(other_id), str(root_id)], "action": "lock"},
        headers=bearer(token),
    )

    body = response.json()
    assert body["affected_users"] == 1
    assert [(one["user_id"], one["code"]) for one in body["failed_users"]] == [
        (str(root_id), "LAST_SUPERADMIN")
    ]
    assert (await user_row(app, other_id)).status == "locked"  # type: ignore[union-attr]
    assert (await user_row(app, root_id)).status == "active"  # type: ignore[union-attr]


async def test_graphql_reports_the_last_superadmin(app: FastAPI, client: httpx.AsyncClient) -> None:
    root_id, token = await root(app)

    body = await gql(
        client,
        "mutation($id: ID!) { deleteUser(id: $id) { __typename ... on Error { code message } } }",
        {"id": str(root_id)},
        token=token,
    )

    assert body["data"]["deleteUser"]["__typename"] == "LastSuperAdmin"
    assert body["data"]["deleteUser"]["code"] == "LAST_SUPERADMIN"


# --- no escalation -------------------------------------------------------------------------

ESCALATIONS = [
    ("lock a superadmin", "POST", "/api/v1/users/{root}/lock", {}),
    ("delete a superadmin", "DELETE", "/api/v1/users/{root}", None),
    ("demote a superadmin", "PATCH", "/api/v1/users/{root}", {"role": "user"}),
    ("promote someone", "PATCH", "/api/v1/users/{user}", {"role": "superadmin"}),
    ("promote oneself", "PATCH", "/api/v1/users/{me}", {"role": "superadmin"}),
    (
        "create a superadmin",
        "POST",
        "/api/v1/users",
        {"email": "x@example.com", "password": PASSWORD, "role": "superadmin"},
    ),
    (
        "bulk-assign superadmin",
        "POST",
        "/api/v1/users/bulk-actions",
        {"user_ids": ["{user}"], "action": "assign_role", "role": "superadmin"},
    ),
]


@pytest.mark.parametrize(
    ("name", "method", "path", "body"), ESCALATIONS, ids=[e[0] for e in ESCALATIONS]
)
async def test_an_admin_cannot_reach_beyond_their_permissions(
    app: FastAPI,
    client: httpx.AsyncClient,
    name: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    root_id, _ = await root(app)
    user_id = await add_user(app)
    admin_id, token = await caller(app, role="admin")  # no settings:write, permissions:write
    ids = {"root": root_id, "user": user_id, "me": admin_id}
    if body and "user_ids" in body:
        body = {**body, "user_ids": [str(user_id)]}

    response = await client.request(method, path.format(**ids), json=body, headers=bearer(token))

    if "bulk" in name:
        assert response.json()["failed_users"][0]["code"] == "PRIVILEGE_ESCALATION"
    else:
        assert_error(response, 403, "PRIVILEGE_ESCALATION")
    assert (await user_row(app, root_id)).role == "superadmin"  # type: ignore[union-attr]
    assert (await user_row(app, user_id)).role == "user"  # type: ignore[union-attr]
    assert (await user_row(app, admin_id)).role == "admin"  # type: ignore[union-attr]


async def test_grants_are_limited_to_what_the_caller_holds(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    role = await new_primary_role(app, {"users:read", "users:write", "permissions:write"})
    _, token = await caller(app, role=role)
    user_id = await add_user(app)
    holder_id = await add_user(app, permissions=["audit:read"])

    beyond = await client.put(
        f"/api/v1/admin/users/{user_id}/permissions",
        json={"permissions": ["users:read", "settings:write"]},
        headers=bearer(token),
    )
    held = await client.put(
        f"/api/v1/admin/users/{user_id}/permissions",
        json={"permissions": ["users:read"]},
        headers=bearer(token),
    )
    # audit:read is not the caller's: an account holding it is beyond their reach.
    taking = await client.put(
        f"/api/v1/admin/users/{holder_id}/permissions",
        json={"permissions": []},
        headers=bearer(token),
    )

    assert assert_error(beyond, 403, "PRIVILEGE_ESCALATION")["details"]["permissions"] == [
        "settings:write"
    ]
    assert held.status_code == 200, held.text
    assert assert_error(taking, 403, "PRIVILEGE_ESCALATION")["details"]["permissions"] == [
        "audit:read"
    ]


# --- sessions end at once -----------------------------------------------------------------

ENDINGS = [
    ("lock", "POST", "/api/v1/users/{id}/lock", {"reason": "Security violation"}),
    ("timed lock", "POST", "/api/v1/users/{id}/lock", {"duration_minutes": 60}),
    ("deactivate", "PATCH", "/api/v1/users/{id}", {"is_active": False}),
    ("status locked", "PATCH", "/api/v1/users/{id}", {"status": "locked"}),
    ("delete", "DELETE", "/api/v1/users/{id}", None),
    (
        "bulk deactivate",
        "POST",
        "/api/v1/users/bulk-actions",
        {"user_ids": ["{id}"], "action": "deactivate"},
    ),
    (
        "bulk lock",
        "POST",
        "/api/v1/users/bulk-actions",
        {"user_ids": ["{id}"], "action": "lock"},
    ),
]


@pytest.mark.parametrize(("name", "method", "path", "body"), ENDINGS, ids=[e[0] for e in ENDINGS])
async def test_the_accounts_access_tokens_stop_at_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    name: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    _, admin_token = await root(app)
    user_id = await add_user(app)
    tokens = [await token_for(app, user_id), await token_for(app, user_id)]
    assert [await me_status(client, token) for token in tokens] == [200, 200]
    if body and "user_ids" in body:
        body = {**body, "user_ids": [str(user_id)]}

    response = await client.request(
        method, path.format(id=user_id), json=body, headers=bearer(admin_token)
    )

    assert response.status_code in (200, 204), response.text
    assert [await me_status(client, token) for token in tokens] == [401, 401]


async def test_a_locked_login_cannot_refresh_or_log_in(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, admin_token = await root(app)
    created = await client.post(
        "/api/v1/users",
        json={"email": "user@example.com", "password": PASSWORD},
        headers=bearer(admin_token),
    )
    credentials = {"email": "user@example.com", "password": PASSWORD}
    login = (await client.post("/api/v1/auth/login", json=credentials)).json()

    await client.post(
        f"/api/v1/users/{created.json()['id']}/lock", json={}, headers=bearer(admin_token)
    )

    assert await me_status(client, login["access_token"]) == 401
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]}
    )
    assert refreshed.status_code == 401, refreshed.text
    again = await client.post("/api/v1/auth/login", json=credentials)
    assert_error(again, 403, "ACCOUNT_DISABLED")


async def test_a_timed_lock_ends_by_itself(app: FastAPI, client: httpx.AsyncClient) -> None:
    clock = install_clock(app)
    _, admin_token = await root(app)
    created = await client.post(
        "/api/v1/users",
        json={"email": "user@example.com", "password": PASSWORD},
        headers=bearer(admin_token),
    )
    credentials = {"email": "user@example.com", "password": PASSWORD}

    await client.post(
        f"/api/v1/users/{created.json()['id']}/lock",
        json={"duration_minutes": 10},
        headers=bearer(admin_token),
    )
    during = await client.post("/api/v1/auth/login", json=credentials)
    clock.offset = timedelta(minutes=11)
    after = await client.post("/api/v1/auth/login", json=credentials)

    assert_error(during, 423, "ACCOUNT_LOCKED")
    assert after.status_code == 200, after.text
    assert await me_status(client, after.json()["access_token"]) == 200


async def test_unlock_lifts_the_failed_login_lockout(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, admin_token = await root(app)
    created = await client.post(
        "/api/v1/users",
        json={"email": "user@example.com", "password": PASSWORD},
        headers=bearer(admin_token),
    )
    for _ in range(5):
        await client.post(
            "/api/v1/auth/login", json={"email": "user@example.com", "password": "wrong-guess"}
        )
    credentials = {"email": "user@example.com", "password": PASSWORD}
    locked = await client.post("/api/v1/auth/login", json=credentials)

    await client.post(f"/api/v1/users/{created.json()['id']}/unlock", headers=bearer(admin_token))
    unlocked = await client.post("/api/v1/auth/login", json=credentials)

    assert_error(locked, 423, "ACCOUNT_LOCKED")
    assert unlocked.status_code == 200, unlocked.text


async def test_two_concurrent_removals_leave_one_superadmin(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    first_id, first_token = await root(app)
    second_id, second_token = await root(app, "second@example.com")

    answers = await asyncio.gather(
        client.post(f"/api/v1/users/{second_id}/lock", json={}, headers=bearer(first_token)),
        client.post(f"/api/v1/users/{first_id}/lock", json={}, headers=bearer(second_token)),
    )

    assert sorted(answer.status_code for answer in answers) == [200, 409], [
        answer.text for answer in answers
    ]
    rows = [await user_row(app, one) for one in (first_id, second_id)]
    assert sorted(row.status for row in rows if row) == ["active", "locked"]


async def test_changing_a_lock_through_status_needs_users_lock(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    role = await new_primary_role(app, {"users:read", "users:write"})
    _, token = await caller(app, role=role)
    user_id = await add_user(app)
    locked_id = await add_user(app, status="locked")

    locking = await client.patch(
        f"/api/v1/users/{user_id}", json={"status": "locked"}, headers=bearer(token)
    )
    unlocking = await client.patch(
        f"/api/v1/users/{locked_id}", json={"status": "active"}, headers=bearer(token)
    )
    deactivating = await client.patch(
        f"/api/v1/users/{user_id}", json={"status": "inactive"}, headers=bearer(token)
    )

    assert "users:lock" in assert_error(locking, 403, "PERMISSION_DENIED")["message"]
    assert_error(unlocking, 403, "PERMISSION_DENIED")
    assert deactivating.status_code == 200, deactivating.text
