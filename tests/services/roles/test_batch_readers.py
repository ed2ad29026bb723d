"""The roles capability's batch readers, which GraphQL's loaders call: held roles (primary
first, then the others by name) and each role's permissions, one statement per batch."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlmodel import col

from identity.models import Role, UserRole
from identity.services.roles import held_roles, permissions_of_roles
from tests.factories import add_user, new_primary_role
from tests.support.app import runtime
from tests.support.statements import counting


async def _role_id(app: FastAPI, name: str) -> uuid.UUID:
    async with runtime(app).database.read() as session:
        role_id = await session.scalar(select(col(Role.id)).where(col(Role.name) == name))
    assert role_id is not None
    return role_id


async def test_primary_first_then_others_by_name_each_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    zeta = await new_primary_role(app, ["audit:read"], name="zeta")
    alpha = await new_primary_role(app, ["users:read"], name="alpha")
    someone = await add_user(app, role="zeta")
    plain = await add_user(app)
    now = runtime(app).clock.now()
    async with runtime(app).database.unit_of_work() as session:
        for name in (alpha, zeta, "admin"):
            role_id = await _role_id(app, name)
            session.add(UserRole(user_id=someone, role_id=role_id, created_at=now))
        await session.execute(update(Role).where(col(Role.name) == alpha).values(is_active=False))

    with counting(app) as counter:
        async with runtime(app).database.read() as session:
            found = await held_roles(session, [someone, plain, someone])
    assert len(counter.queries) == 1
    assert [role.name for role in found[someone]] == ["zeta", "admin", "alpha"]
    assert [role.name for role in found[plain]] == ["user"]

    async with runtime(app).database.read() as session:
        active = await held_roles(session, [someone], include_inactive=False)
        assert await held_roles(session, []) == {}
    assert [role.name for role in active[someone]] == ["zeta", "admin"]


async def test_permissions_of_roles_by_name(app: FastAPI, client: httpx.AsyncClient) -> None:
    name = await new_primary_role(app, ["users:read", "audit:read"])
    role_id = await _role_id(app, name)
    empty = await _role_id(app, await new_primary_role(app, []))
    with counting(app) as counter:
        async with runtime(app).database.read() as session:
            found = await permissions_of_roles(session, [role_id, empty, role_id])
    assert len(counter.queries) == 1
    assert [row.name for row in found[role_id]] == ["audit:read", "users:read"]
    assert found[empty] == []
