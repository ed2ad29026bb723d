"""A tenant's administrator manages their tenant alone, over REST: users and roles lists and
counts hold their tenant's members and roles only (and the global roles, read-only); another
tenant's user or role in any path is not found (404) and nothing changes; new accounts join
their tenant; no global role, no direct grant, no super-admin. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.models import AuditEvent, TenantMember
from identity.services.tenants.admin_role import admin_role
from tests.factories import (
    PASSWORD,
    Caller,
    add_member,
    add_user,
    new_tenant,
    root,
    tenant_admin,
    tenant_member,
)
from tests.support.app import runtime
from tests.support.rows import role_id
from tests.support.snapshot import snapshot


@dataclass(frozen=True)
class World:
    a: uuid.UUID
    b: uuid.UUID
    admin_a: Caller
    member_a: Caller
    admin_b: Caller
    member_b: Caller
    role_a: uuid.UUID
    role_b: uuid.UUID


async def _admin_role_id(app: FastAPI, tenant_id: uuid.UUID) -> uuid.UUID:
    async with runtime(app).database.read() as session:
        role = await admin_role(session, tenant_id)
    assert role is not None
    return role.id


@pytest.fixture
async def world(app: FastAPI, client: httpx.AsyncClient) -> World:
    a = await new_tenant(app, "tenant-a")
    b = await new_tenant(app, "tenant-b")
    return World(
        a=a,
        b=b,
        admin_a=await tenant_admin(app, a),
        member_a=await tenant_member(app, a),
        admin_b=await tenant_admin(app, b),
        member_b=await tenant_member(app, b),
        role_a=await _admin_role_id(app, a),
        role_b=await _admin_role_id(app, b),
    )


@pytest.mark.parametrize("path", ["/api/v1/users", "/v1/users", "/api/v1/admin/users"])
async def test_lists_and_counts_hold_their_members_only(
    client: httpx.AsyncClient, world: World, path: str
) -> None:
    response = await client.get(path, headers=world.admin_a.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    items = body["items"] if isinstance(body, dict) and "items" in body else body["users"]
    ids = {item["id"] for item in items}
    assert str(world.member_b.id) not in ids
    assert str(world.admin_b.id) not in ids
    if path != "/api/v1/admin/users":
        assert ids == {str(world.admin_a.id), str(world.member_a.id)}
        assert body.get("total", len(ids)) == 2


OTHER_USER = [
    ("GET", "/api/v1/users/{user}", None),
    ("PUT", "/api/v1/users/{user}", {"first_name": "Taken"}),
    ("PATCH", "/api/v1/users/{user}", {"first_name": "Taken"}),
    ("DELETE", "/api/v1/users/{user}", None),
    ("POST", "/api/v1/users/{user}/lock", {"reason": "x"}),
    ("POST", "/api/v1/users/{user}/unlock", None),
    ("GET", "/v1/users/{user}", None),
    ("PUT", "/v1/users/{user}", {"first_name": "Taken"}),
    ("DELETE", "/v1/users/{user}", None),
    ("GET", "/api/v1/users/{user}/roles", None),
    ("POST", "/api/v1/users/{user}/roles", {"role_ids": ["{role_a}"]}),
    ("DELETE", "/api/v1/users/{user}/roles", {"role_ids": ["{role_b}"]}),
    ("POST", "/v1/admin/users/{user}/roles", {"role_id": "{role_a}"}),
    ("DELETE", "/v1/admin/users/{user}/roles/{role_b}", None),
]
OTHER_ROLE = [
    ("GET", "/api/v1/roles/{role_b}", None),
    ("PUT", "/api/v1/roles/{role_b}", {"description": "taken"}),
    ("DELETE", "/api/v1/roles/{role_b}", None),
    ("POST", "/api/v1/roles/{role_b}/permissions", {"permission_ids": []}),
    ("DELETE", "/api/v1/roles/{role_b}/permissions", {"permission_ids": []}),
    ("GET", "/v1/admin/roles/{role_b}", None),
    ("PUT", "/v1/admin/roles/{role_b}", {"description": "taken"}),
    ("DELETE", "/v1/admin/roles/{role_b}", None),
    ("GET", "/v1/admin/roles/{role_b}/permissions", None),
    ("POST", "/v1/admin/roles/{role_b}/permissions", {"permission_id": "{permission}"}),
    ("DELETE", "/v1/admin/roles/{role_b}/permissions/{permission}", None),
    ("POST", "/api/v1/users/{member_a}/roles", {"role_ids": ["{role_b}"]}),
    ("POST", "/v1/admin/users/{member_a}/roles", {"role_id": "{role_b}"}),
]


def _fill(value: object, names: dict[str, str]) -> object:
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, list):
        return [_fill(one, names) for one in value]
    if isinstance(value, dict):
        return {key: _fill(one, names) for key, one in value.items()}
    return value


@pytest.mark.parametrize(("method", "path", "body"), OTHER_USER + OTHER_ROLE)
async def test_another_tenants_user_or_role_is_not_found_and_unchanged(
    app: FastAPI,
    client: httpx.AsyncClient,
    world: World,
    method: str,
    path: str,
    body: object,
) -> None:
    names = {
        "user": str(world.member_b.id),
        "member_a": str(world.member_a.id),
        "role_a": str(world.role_a),
        "role_b": str(world.role_b),
        "permission": str(await _a_permission(app)),
    }
    before = await snapshot(app)

    response = await client.request(
        method,
        str(_fill(path, names)),
        json=_fill(body, names) if body is not None else None,
        headers=world.admin_a.headers,
    )

    assert response.status_code == 404, response.text
    assert await snapshot(app) == before


async def _a_permission(app: FastAPI) -> uuid.UUID:
    from tests.support.rows import permission_id

    return await permission_id(app, "users:read")


async def test_roles_list_their_tenant_and_the_global_ones(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    response = await client.get("/api/v1/roles", headers=world.admin_a.headers)
    assert response.status_code == 200, response.text
    tenants = {role["tenant_id"] for role in response.json()}
    assert tenants == {None, str(world.a)}
    assert str(world.role_b) not in {role["id"] for role in response.json()}


async def test_a_new_account_joins_their_tenant(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    body = {"email": "new@example.com", "password": PASSWORD, "first_name": "New"}
    created = await client.post("/api/v1/users", json=body, headers=world.admin_a.headers)
    assert created.status_code == 201, created.text
    assert created.json()["organization_id"] == str(world.a)
    async with runtime(app).database.read() as session:
        joined = await session.scalars(
            select(col(TenantMember.tenant_id)).where(
                col(TenantMember.user_id) == uuid.UUID(created.json()["id"])
            )
        )
        assert list(joined.all()) == [world.a]
        audited = await session.scalar(
            select(col(AuditEvent.tenant_id)).where(col(AuditEvent.event_type) == "user.created")
        )
        assert audited == world.a

    before = await snapshot(app)
    elsewhere = {**body, "email": "b@example.com", "organization_id": str(world.b)}
    refused = await client.post("/api/v1/users", json=elsewhere, headers=world.admin_a.headers)
    assert refused.status_code == 404, refused.text
    assert await snapshot(app) == before


async def test_a_full_tenant_takes_no_new_account(app: FastAPI, client: httpx.AsyncClient) -> None:
    full = await new_tenant(app, max_users=1)
    admin = await tenant_admin(app, full)
    body = {"email": "one-too-many@example.com", "password": PASSWORD}
    response = await client.post("/api/v1/users", json=body, headers=admin.headers)
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "TENANT_FULL"


async def test_no_global_role_no_direct_grant_no_super_admin(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    boss = await add_user(app, role="superadmin")
    await add_member(app, world.a, boss)
    headers = world.admin_a.headers
    before = await snapshot(app)
    admin_role_global = await role_id(app, "admin")
    refused = [
        await client.post(
            f"/api/v1/users/{world.member_a.id}/roles",
            json={"role_ids": [str(admin_role_global)]},
            headers=headers,
        ),
        await client.patch(
            f"/api/v1/users/{world.member_a.id}", json={"role": "admin"}, headers=headers
        ),
        await client.put(
            f"/api/v1/admin/users/{world.member_a.id}/permissions",
            json={"permissions": ["users:read"]},
            headers=headers,
        ),
        await client.post(
            "/api/v1/users",
            json={"email": "x@example.com", "password": PASSWORD, "role": "admin"},
            headers=headers,
        ),
        await client.post(f"/api/v1/users/{boss}/lock", json={}, headers=headers),
        await client.delete(f"/api/v1/users/{boss}", headers=headers),
        await client.put(
            f"/api/v1/roles/{admin_role_global}", json={"description": "x"}, headers=headers
        ),
    ]
    assert [one.status_code for one in refused] == [403] * len(refused), [
        one.text for one in refused
    ]
    assert await snapshot(app) == before


async def test_they_manage_their_members_and_roles(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    headers = world.admin_a.headers
    assigned = await client.post(
        f"/api/v1/users/{world.member_a.id}/roles",
        json={"role_ids": [str(world.role_a)]},
        headers=headers,
    )
    assert assigned.status_code == 200, assigned.text
    created = await client.post("/v1/admin/roles", json={"name": "Site lead"}, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["tenant_id"] == str(world.a)
    elsewhere = await client.post(
        "/v1/admin/roles", json={"name": "Spy", "tenant_id": str(world.b)}, headers=headers
    )
    assert elsewhere.status_code == 404, elsewhere.text
    updated = await client.patch(
        f"/api/v1/users/{world.member_a.id}", json={"first_name": "Ann"}, headers=headers
    )
    assert updated.status_code == 200, updated.text


async def test_a_super_admin_creates_a_role_of_any_tenant(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    boss = await root(app)
    created = await client.post(
        "/v1/admin/roles",
        json={"name": "B auditor", "tenant_id": str(world.b)},
        headers=boss.headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["tenant_id"] == str(world.b)
    unknown = await client.post(
        "/v1/admin/roles",
        json={"name": "Nowhere", "tenant_id": str(uuid.uuid4())},
        headers=boss.headers,
    )
    assert unknown.status_code == 404, unknown.text
