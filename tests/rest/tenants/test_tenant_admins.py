"""A tenant admin (a member holding the tenant's admin role) manages their own tenant's
members and nothing of another tenant: its ids answer 404 and nothing changes. The tenant
records themselves are the installation's (tenants:*): their own is refused (403), another
tenant's is not found (404). SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import NamedTuple

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.models import PermissionRow, Role, RolePermission, Tenant, TenantMember, UserRole
from tests.factories import (
    Caller,
    add_member,
    add_user,
    new_tenant,
    tenant_admin,
    tenant_token,
)
from tests.support.app import runtime
from tests.support.http import assert_error


class World(NamedTuple):
    a: uuid.UUID
    b: uuid.UUID
    admin_a: Caller
    member_a: uuid.UUID
    member_b: uuid.UUID


async def world(app: FastAPI) -> World:
    a = await new_tenant(app, "tenant-a")
    b = await new_tenant(app, "tenant-b")
    admin_a = await tenant_admin(app, a)
    member_a = await add_user(app, "a@example.com")
    member_b = await add_user(app, "b@example.com")
    await add_member(app, a, member_a)
    await add_member(app, b, member_b)
    return World(a, b, admin_a, member_a, member_b)


async def memberships(app: FastAPI) -> set[tuple[uuid.UUID, uuid.UUID]]:
    async with runtime(app).database.read() as session:
        rows = await session.execute(select(col(TenantMember.tenant_id), col(TenantMember.user_id)))
    return {(tenant, user) for tenant, user in rows.all()}


async def test_a_tenant_admin_manages_their_own_tenants_members(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    w = await world(app)
    listed = await client.get(f"/v1/tenants/{w.a}/users", headers=w.admin_a.headers)
    assert listed.status_code == 200, listed.text
    assert {row["id"] for row in listed.json()["users"]} == {str(w.admin_a.id), str(w.member_a)}
    again = await client.post(f"/v1/tenants/{w.a}/users/{w.member_a}", headers=w.admin_a.headers)
    assert again.status_code == 200, again.text
    assert again.json()["changed"] is False
    removed = await client.delete(
        f"/v1/tenants/{w.a}/users/{w.member_a}", headers=w.admin_a.headers
    )
    assert removed.status_code == 200, removed.text
    assert (w.a, w.member_a) not in await memberships(app)


async def test_another_tenants_ids_are_not_found_and_nothing_changes(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    w = await world(app)
    before = await memberships(app)
    headers = w.admin_a.headers
    for method, path in [
        ("GET", f"/v1/tenants/{w.b}/users"),
        ("POST", f"/v1/tenants/{w.b}/users/{w.member_b}"),
        ("POST", f"/v1/tenants/{w.b}/users/{w.member_a}"),
        ("DELETE", f"/v1/tenants/{w.b}/users/{w.member_b}"),
        # An account outside the tenant is not the tenant admin's to see, nor to pull in.
        ("POST", f"/v1/tenants/{w.a}/users/{w.member_b}"),
        ("DELETE", f"/v1/tenants/{w.a}/users/{w.member_b}"),
    ]:
        response = await client.request(method, path, headers=headers)
        assert_error(response, 404, "RESOURCE_NOT_FOUND")
    assert await memberships(app) == before


async def test_tenant_records_are_the_installations(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    w = await world(app)
    headers = w.admin_a.headers
    for method, path in [
        ("GET", "/v1/tenants"),
        ("POST", "/v1/tenants"),
        ("GET", f"/v1/tenants/{w.a}"),
        ("PUT", f"/v1/tenants/{w.a}"),
        ("DELETE", f"/v1/tenants/{w.a}"),
        ("GET", f"/v1/tenants/{w.a}/stats"),
    ]:
        response = await client.request(
            method, path, json={"name": "Mine", "slug": "mine"}, headers=headers
        )
        assert_error(response, 403, "PERMISSION_DENIED")
    # Another tenant's record: not found before forbidden, so its existence is not told.
    for method, path in [
        ("GET", f"/v1/tenants/{w.b}"),
        ("PUT", f"/v1/tenants/{w.b}"),
        ("DELETE", f"/v1/tenants/{w.b}"),
        ("GET", f"/v1/tenants/{w.b}/stats"),
        ("DELETE", f"/api/v1/organizations/{w.b}"),
        ("GET", f"/api/v1/organizations/{uuid.uuid4()}"),
    ]:
        response = await client.request(method, path, json={"name": "Mine"}, headers=headers)
        assert_error(response, 404, "RESOURCE_NOT_FOUND")


async def _tenant_role_member(app: FastAPI, tenant: uuid.UUID, permissions: list[str]) -> Caller:
    """A member of ``tenant`` holding a role of that tenant granting ``permissions``."""
    now = runtime(app).clock.now()
    user = await add_user(app)
    await add_member(app, tenant, user)
    async with runtime(app).database.unit_of_work() as session:
        role = Role(name="viewer", tenant_id=tenant, created_at=now, updated_at=now)
        session.add(role)
        await session.flush()
        ids = await session.scalars(
            select(col(PermissionRow.id)).where(col(PermissionRow.name).in_(permissions))
        )
        session.add_all(RolePermission(role_id=role.id, permission_id=one) for one in ids.all())
        session.add(UserRole(user_id=user, role_id=role.id, created_at=now))
    return Caller(user, await tenant_token(app, user, tenant))


async def test_tenant_permissions_held_in_one_tenant_reach_it_alone(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    w = await world(app)
    reader = await _tenant_role_member(app, w.a, ["tenants:read", "tenants:write"])
    listed = await client.get("/api/v1/organizations", headers=reader.headers)
    assert listed.status_code == 200, listed.text
    assert [row["id"] for row in listed.json()["items"]] == [str(w.a)]
    assert (await client.get(f"/v1/tenants/{w.a}", headers=reader.headers)).status_code == 200
    assert (await client.get(f"/v1/tenants/{w.a}/stats", headers=reader.headers)).status_code == 200
    renamed = await client.put(
        f"/v1/tenants/{w.a}", json={"name": "A, renamed"}, headers=reader.headers
    )
    assert renamed.status_code == 200, renamed.text
    for change in ({"slug": "taken-over"}, {"max_users": 1000}, {"is_active": False}):
        response = await client.put(f"/v1/tenants/{w.a}", json=change, headers=reader.headers)
        assert_error(response, 403, "PERMISSION_DENIED")
    for method, path in [
        ("GET", f"/v1/tenants/{w.b}"),
        ("PUT", f"/v1/tenants/{w.b}"),
        ("GET", f"/v1/tenants/{w.b}/stats"),
        ("GET", f"/api/v1/organizations/{w.b}"),
    ]:
        response = await client.request(method, path, json={"name": "x"}, headers=reader.headers)
        assert_error(response, 404, "RESOURCE_NOT_FOUND")
    async with runtime(app).database.read() as session:
        tenant_b = await session.get(Tenant, w.b)
        assert tenant_b is not None
        assert tenant_b.name == "tenant-b"
