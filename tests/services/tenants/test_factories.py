"""The tenant factories others build on: a tenant with its admin role, members, admins."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.models import AuthSession, Role, TenantMember, User, UserRole
from tests.factories import add_member, add_user, new_tenant, tenant_admin
from tests.support.app import runtime


async def test_tenant_admin_is_a_member_holding_the_tenant_admin_role(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    tenant_id = await new_tenant(app, "acme", max_users=3)
    admin = await tenant_admin(app, tenant_id)
    other = await add_user(app)
    await add_member(app, tenant_id, other)
    async with runtime(app).database.read() as session:
        members = (
            await session.scalars(
                select(col(TenantMember.user_id)).where(col(TenantMember.tenant_id) == tenant_id)
            )
        ).all()
        assert set(members) == {admin.id, other}
        role = (await session.scalars(select(Role).where(col(Role.tenant_id) == tenant_id))).one()
        assert role.name == "admin"
        assert await session.get(UserRole, (admin.id, role.id)) is not None
        user = await session.get(User, admin.id)
        assert user is not None
        assert user.primary_tenant_id == tenant_id
        active = await session.scalars(
            select(col(AuthSession.tenant_id)).where(col(AuthSession.user_id) == admin.id)
        )
        assert active.all() == [tenant_id]
