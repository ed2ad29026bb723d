"""Tenant rules over REST: field validation with nothing stored, unique slugs, the admin role
a tenant is created with, max_users and inactive tenants on joins, deactivation and removal
ending sessions at once. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.models import Role, RolePermission, Tenant, TenantMember, UserRole
from identity.services.tenants.admin_role import ADMIN_PERMISSIONS
from tests.factories import add_member, add_user, new_tenant, root, tenant_token
from tests.support.app import runtime
from tests.support.http import assert_error, me_status

GOOD = {"name": "Acme", "slug": "acme"}


async def tenants_stored(app: FastAPI) -> list[str]:
    async with runtime(app).database.read() as session:
        return list((await session.scalars(select(col(Tenant.slug)))).all())


BAD_FIELDS: list[tuple[dict[str, Any], str]] = [
    ({"slug": "Acme"}, "slug"),
    ({"slug": "ac"}, "slug"),
    ({"slug": "a" * 64}, "slug"),
    ({"slug": "ac_me"}, "slug"),
    ({"slug": "ac me"}, "slug"),
    ({"slug": " acme"}, "slug"),
    ({"slug": "acm\u00e9"}, "slug"),
    ({"name": "   "}, "name"),
    ({"name": "A" * 201}, "name"),
    ({"name": "Ac\u202eme"}, "name"),
    ({"description": "d" * 1001}, "description"),
    ({"max_users": 0}, "max_users"),
    ({"max_users": -3}, "max_users"),
    ({"max_users": 10**12}, "max_users"),
]


async def test_bad_fields_are_refused_and_nothing_is_stored(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin = await root(app)
    tenant = await new_tenant(app, "kept")
    for change, field in BAD_FIELDS:
        response = await client.post("/v1/tenants", json={**GOOD, **change}, headers=admin.headers)
        error = assert_error(response, 422, "VALIDATION_ERROR")
        assert field in str(error["details"]), (change, error)
        changed = await client.put(f"/v1/tenants/{tenant}", json=change, headers=admin.headers)
        assert_error(changed, 422, "VALIDATION_ERROR")
    assert await tenants_stored(app) == ["kept"]
    assert (await client.get(f"/v1/tenants/{tenant}", headers=admin.headers)).json()["name"] == (
        "kept"
    )


async def test_slugs_are_unique(app: FastAPI, client: httpx.AsyncClient) -> None:
    admin = await root(app)
    await new_tenant(app, "acme")
    other = await new_tenant(app, "other")
    again = await client.post("/api/v1/organizations", json=GOOD, headers=admin.headers)
    assert_error(again, 409, "TENANT_SLUG_TAKEN")
    renamed = await client.put(f"/v1/tenants/{other}", json={"slug": "acme"}, headers=admin.headers)
    assert_error(renamed, 409, "TENANT_SLUG_TAKEN")
    null = await client.put(f"/v1/tenants/{other}", json={"slug": None}, headers=admin.headers)
    assert null.status_code == 200, null.text  # null leaves a slug as it is
    assert sorted(await tenants_stored(app)) == ["acme", "other"]


async def test_a_tenant_is_created_with_its_admin_role_held_by_the_owner(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin = await root(app)
    owner = await add_user(app, "owner@example.com")
    created = await client.post(
        "/v1/tenants", json={**GOOD, "owner_id": str(owner)}, headers=admin.headers
    )
    assert created.status_code == 201, created.text
    tenant_id = uuid.UUID(created.json()["id"])
    assert created.json()["member_count"] == 1
    async with runtime(app).database.read() as session:
        role = (await session.scalars(select(Role).where(col(Role.tenant_id) == tenant_id))).one()
        granted = await session.scalars(
            select(RolePermission).where(col(RolePermission.role_id) == role.id)
        )
        assert role.name == "admin"
        assert len(granted.all()) == len(ADMIN_PERMISSIONS)
        assert await session.get(UserRole, (owner, role.id)) is not None
        assert await session.get(TenantMember, (tenant_id, owner)) is not None
    missing = await client.post(
        "/v1/tenants",
        json={"name": "B", "slug": "bbb", "owner_id": str(uuid.uuid4())},
        headers=admin.headers,
    )
    assert_error(missing, 404, "RESOURCE_NOT_FOUND")
    assert await tenants_stored(app) == ["acme"]


async def test_a_full_or_inactive_tenant_takes_nobody(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin = await root(app)
    full = await new_tenant(app, "full", max_users=1)
    await add_member(app, full, await add_user(app))
    newcomer = await add_user(app)
    response = await client.post(f"/v1/tenants/{full}/users/{newcomer}", headers=admin.headers)
    assert_error(response, 409, "TENANT_FULL")
    asleep = await new_tenant(app, "asleep", is_active=False)
    response = await client.post(f"/v1/tenants/{asleep}/users/{newcomer}", headers=admin.headers)
    assert_error(response, 409, "TENANT_INACTIVE")
    unknown = await client.post(f"/v1/tenants/{full}/users/{uuid.uuid4()}", headers=admin.headers)
    assert_error(unknown, 404, "RESOURCE_NOT_FOUND")
    async with runtime(app).database.read() as session:
        assert await session.get(TenantMember, (full, newcomer)) is None
        assert await session.get(TenantMember, (asleep, newcomer)) is None


async def test_lowering_max_users_below_the_members_keeps_them(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin = await root(app)
    tenant = await new_tenant(app, "acme")
    for _ in range(3):
        await add_member(app, tenant, await add_user(app))
    lowered = await client.put(
        f"/v1/tenants/{tenant}", json={"max_users": 2}, headers=admin.headers
    )
    assert lowered.status_code == 200, lowered.text
    assert lowered.json()["member_count"] == 3
    response = await client.post(
        f"/v1/tenants/{tenant}/users/{await add_user(app)}", headers=admin.headers
    )
    assert_error(response, 409, "TENANT_FULL")


async def test_deactivation_ends_the_tenants_sessions_at_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin = await root(app)
    tenant = await new_tenant(app, "acme")
    other = await new_tenant(app, "other")
    user = await add_user(app)
    await add_member(app, tenant, user)
    await add_member(app, other, user)
    inside = await tenant_token(app, user, tenant)
    elsewhere = await tenant_token(app, user, other)
    assert await me_status(client, inside) == 200

    response = await client.put(
        f"/api/v1/organizations/{tenant}", json={"is_active": False}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    assert await me_status(client, inside) == 401
    assert await me_status(client, elsewhere) == 200

    again = await client.put(
        f"/api/v1/organizations/{tenant}", json={"is_active": True}, headers=admin.headers
    )
    assert again.status_code == 200
    assert await me_status(client, inside) == 401


async def test_removing_a_member_ends_their_sessions_in_the_tenant_only(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin = await root(app)
    tenant = await new_tenant(app, "acme")
    other = await new_tenant(app, "other")
    user = await add_user(app)
    await add_member(app, other, user)
    await add_member(app, tenant, user)
    inside = await tenant_token(app, user, tenant)
    elsewhere = await tenant_token(app, user, other)
    response = await client.delete(f"/v1/tenants/{tenant}/users/{user}", headers=admin.headers)
    assert response.status_code == 200, response.text
    assert await me_status(client, inside) == 401
    assert await me_status(client, elsewhere) == 200
