"""The roles capability's batch readers, which GraphQL's loaders call: held roles (primary
first, then the others by name) and each role's permissions, one statement per batch."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col

from identity.models import Role
from identity.services.roles import held_roles, permissions_of_roles
from tests.factories import add_user, new_role
from tests.support.app import runtime
from tests.support.rows import role_id
from tests.support.statements import counting


async def test_primary_first_then_others_by_name_each_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await new_role(app, ["audit:read"], name="zeta")
    alpha = await new_role(app, ["users:read"], name="alpha")
    zeta = await role_id(app, "zeta")
    admin = await role_id(app, "admin")
    someone = await add_user(app, role="zeta", roles=[alpha, zeta, admin])
    plain = await add_user(app)
    async with runtime(app).database.unit_of_work() as session:
        await session.execute(update(Role).where(col(Role.id) == alpha).values(is_active=False))

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
    granting = await new_role(app, ["users:read", "audit:read"])
    empty = await new_role(app, [])
    with counting(app) as counter:
        async with runtime(app).database.read() as session:
            found = await permissions_of_roles(session, [granting, empty, granting])
    assert len(counter.queries) == 1
    assert [row.name for row in found[granting]] == ["audit:read", "users:read"]
    assert found[empty] == []
