"""Effective permissions in a tenant: the global ones (direct grants, global roles) plus those
of the roles of the caller's active tenant, and those only while they are a member of it.
Roles of another tenant never count. ``reach`` tells a permission held globally (everywhere)
from one held through the active tenant's roles (that tenant). SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.errors import PermissionDenied
from identity.models import PermissionRow, Role, RolePermission, User, UserRole
from identity.permissions import Permission
from identity.services import authorization, tenancy
from identity.services.tenants.membership import leave
from tests.factories import (
    add_member,
    add_user,
    new_role,
    new_tenant,
    tenant_admin,
    tenant_token,
)
from tests.support.app import runtime


async def tenant_role(app: FastAPI, tenant_id: uuid.UUID, permissions: list[str]) -> uuid.UUID:
    """A role of ``tenant_id`` granting ``permissions``."""
    now = runtime(app).clock.now()
    async with runtime(app).database.unit_of_work() as session:
        role = Role(
            name=f"r-{uuid.uuid4().hex[:8]}", tenant_id=tenant_id, created_at=now, updated_at=now
        )
        session.add(role)
        await session.flush()
        ids = await session.scalars(
            select(col(PermissionRow.id)).where(col(PermissionRow.name).in_(permissions))
        )
        session.add_all(RolePermission(role_id=role.id, permission_id=one) for one in ids)
        return role.id


async def holding(
    app: FastAPI, user_id: uuid.UUID, tenant_id: uuid.UUID | None
) -> tuple[set[str], set[str]]:
    found = await authorization.holding_of(runtime(app).deps, user_id, tenant_id)
    return set(found.permissions), set(found.everywhere)


async def test_global_plus_the_active_tenant_roles_only(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    a = await new_tenant(app)
    b = await new_tenant(app)
    in_a = await tenant_role(app, a, ["locations:read"])
    in_b = await tenant_role(app, b, ["locations:write"])
    everywhere = await new_role(app, ["audit:read"])
    user = await add_user(app, roles=[in_a, in_b, everywhere], permissions=["tenants:read"])
    await add_member(app, a, user)
    await add_member(app, b, user)

    permissions, global_part = await holding(app, user, a)
    assert {"locations:read", "audit:read", "tenants:read"} <= permissions
    assert "locations:write" not in permissions  # tenant B's role never counts in A
    assert "locations:read" not in global_part
    assert {"audit:read", "tenants:read"} <= global_part

    permissions, _ = await holding(app, user, b)
    assert "locations:write" in permissions
    assert "locations:read" not in permissions

    permissions, _ = await holding(app, user, None)  # acting in no tenant: global only
    assert not {"locations:read", "locations:write"} & permissions
    assert {"audit:read", "tenants:read"} <= permissions


async def test_a_tenant_role_counts_only_while_a_member(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    a = await new_tenant(app)
    role = await tenant_role(app, a, ["locations:read"])
    user = await add_user(app, roles=[role])  # holds A's role without being a member
    assert "locations:read" not in (await holding(app, user, a))[0]
    await add_member(app, a, user)
    assert "locations:read" in (await holding(app, user, a))[0]


async def test_a_tenant_role_named_superadmin_grants_nothing_more(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    a = await new_tenant(app)
    fake = await tenant_role(app, a, [])
    async with runtime(app).database.unit_of_work() as session:
        row = await session.get(Role, fake)
        assert row is not None
        row.name = "superadmin"
    user = await add_user(app, roles=[fake])
    await add_member(app, a, user)
    permissions, _ = await holding(app, user, a)
    assert "tenants:write" not in permissions


async def test_reach_of_a_tenant_admin_is_their_tenant(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    a = await new_tenant(app)
    admin = await tenant_admin(app, a)
    response = await client.get("/api/v1/users/me", headers=admin.headers)
    assert response.status_code == 200, response.text
    deps = runtime(app).deps
    from identity.principal import RequestMeta
    from identity.services.auth import authenticate

    principal = await authenticate(deps, access_token=admin.token, meta=RequestMeta())
    assert principal.tenant_id == a
    assert (await tenancy.reach(deps, principal, Permission.USERS_READ)).tenant_id == a
    with pytest.raises(PermissionDenied):
        await tenancy.reach(deps, principal, Permission.TENANTS_WRITE)

    # Another session of the same account acting in no tenant holds none of it.
    outside = await authenticate(
        deps, access_token=await tenant_token(app, admin.id, None), meta=RequestMeta()
    )
    assert outside.tenant_id is None
    with pytest.raises(PermissionDenied):
        await tenancy.reach(deps, outside, Permission.USERS_READ)


async def test_a_super_admin_reaches_everywhere(app: FastAPI, client: httpx.AsyncClient) -> None:
    a = await new_tenant(app)
    user = await add_user(app, role="superadmin")
    await add_member(app, a, user)
    from identity.principal import RequestMeta
    from identity.services.auth import authenticate

    deps = runtime(app).deps
    principal = await authenticate(
        deps, access_token=await tenant_token(app, user, a), meta=RequestMeta()
    )
    assert (await tenancy.reach(deps, principal, Permission.USERS_READ)).everywhere


async def test_leaving_the_tenant_drops_its_roles_at_the_next_request(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    a = await new_tenant(app)
    admin = await tenant_admin(app, a)
    assert (await client.get("/api/v1/users", headers=admin.headers)).status_code == 200
    async with runtime(app).database.unit_of_work() as session:
        user = await session.get(User, admin.id)
        assert user is not None
        await leave(session, tenant_id=a, user=user)
    assert (await client.get("/api/v1/users", headers=admin.headers)).status_code == 403
    async with runtime(app).database.read() as session:
        left = await session.scalars(select(UserRole).where(col(UserRole.user_id) == admin.id))
        assert not left.all()
