"""Tenants as the service keeps them: 20 parallel joins against max_users 5 (exactly 5 get
in), deleting a tenant (what goes, what stays), and its figures. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import TenantFull
from identity.models import (
    AuthSession,
    Invitation,
    Location,
    Role,
    TenantMember,
    User,
    UserLocation,
    UserRole,
)
from identity.principal import RequestMeta
from identity.services import audit
from tests.factories import (
    add_member,
    add_user,
    new_role,
    new_tenant,
    root,
    tenant_admin,
    tenant_token,
)
from tests.support.app import runtime
from tests.support.audit import audit_events
from tests.support.http import me_status


async def test_twenty_parallel_joins_fill_five_places_exactly(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin = await root(app)
    tenant = await new_tenant(app, "small", max_users=5)
    newcomers = [await add_user(app) for _ in range(20)]
    answers = await asyncio.gather(
        *(
            client.post(f"/v1/tenants/{tenant}/users/{user}", headers=admin.headers)
            for user in newcomers
        )
    )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] * 5 + [409] * 15, [answer.text for answer in answers]
    assert {answer.json()["error"]["code"] for answer in answers if answer.status_code == 409} == {
        TenantFull.code
    }
    async with runtime(app).database.read() as session:
        count = await session.scalar(
            select(func.count()).where(col(TenantMember.tenant_id) == tenant)
        )
    assert count == 5


async def _seed_contents(app: FastAPI, tenant: uuid.UUID, user: uuid.UUID) -> uuid.UUID:
    """A location with the user on it, a pending invitation, a second tenant role as the
    user's primary role; returns that role's id."""
    now = runtime(app).clock.now()
    async with runtime(app).database.unit_of_work() as session:
        location = Location(tenant_id=tenant, name="HQ", code="HQ", created_at=now, updated_at=now)
        session.add(location)
        role = Role(name="clerk", tenant_id=tenant, created_at=now, updated_at=now)
        session.add(role)
        await session.flush()
        session.add(
            UserLocation(user_id=user, location_id=location.id, is_primary=True, assigned_at=now)
        )
        session.add(
            Invitation(
                tenant_id=tenant,
                email="new@example.com",
                email_key="new@example.com",
                token_hash="h" * 64,
                last_sent_at=now,
                expires_at=now + timedelta(days=7),
                created_at=now,
                updated_at=now,
            )
        )
        row = await session.get(User, user)
        assert row is not None
        row.role_id = role.id
        return role.id


async def test_delete_removes_the_tenants_things_and_keeps_the_accounts(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin = await root(app)
    doomed = await new_tenant(app, "doomed")
    kept = await new_tenant(app, "kept")
    boss = await tenant_admin(app, doomed)
    member = await add_user(app)
    await add_member(app, doomed, member)
    await add_member(app, kept, member)
    global_role = await new_role(app, ["users:read"])
    clerk = await _seed_contents(app, doomed, member)
    inside = await tenant_token(app, member, doomed)
    elsewhere = await tenant_token(app, member, kept)

    response = await client.delete(f"/v1/tenants/{doomed}", headers=admin.headers)
    assert response.status_code == 200, response.text

    async with runtime(app).database.read() as session:
        for model in (TenantMember, Role, Location, Invitation):
            left = await session.scalar(
                select(func.count()).select_from(model).where(col(model.tenant_id) == doomed)
            )
            assert left == 0, model
        assert (await session.scalars(select(UserLocation))).all() == []
        assert await session.get(Role, clerk) is None
        assert await session.get(Role, global_role) is not None
        held = (
            await session.scalars(select(UserRole).where(col(UserRole.user_id) == boss.id))
        ).all()
        assert held == []
        boss_row = await session.get(User, boss.id)
        member_row = await session.get(User, member)
        assert boss_row is not None
        assert member_row is not None
        assert boss_row.primary_tenant_id is None
        assert member_row.primary_tenant_id == kept
        assert member_row.role == "user"
        assert await session.get(TenantMember, (kept, member)) is not None
        revoked = await session.scalars(
            select(col(AuthSession.revoke_reason)).where(col(AuthSession.user_id) == member)
        )
        assert sorted(str(one) for one in revoked.all()) == ["None", "tenant_deleted"]
    assert await me_status(client, inside) == 401
    assert await me_status(client, elsewhere) == 200
    assert await me_status(client, boss.token) == 401
    (deleted,) = await audit_events(app, "tenant.deleted")
    assert deleted.tenant_id == doomed
    assert deleted.details["members"] == 2
    assert deleted.details["invitations_pending"] == 1


async def test_a_tenants_figures(app: FastAPI, client: httpx.AsyncClient) -> None:
    admin = await root(app)
    tenant = await new_tenant(app, "acme")
    other = await new_tenant(app, "other")
    active = await add_user(app)
    locked = await add_user(app, status="locked")
    for user in (active, locked):
        await add_member(app, tenant, user)
    await add_member(app, other, active)
    await tenant_token(app, active, tenant)
    await tenant_token(app, active, other)
    deps = runtime(app).deps
    async with deps.database.unit_of_work() as session:
        now = deps.clock.now()
        for when, where in [(now, tenant), (now - timedelta(days=31), tenant), (now, other)]:
            audit.record(
                session,
                event_type=EventType.LOGIN_SUCCEEDED,
                now=when,
                meta=RequestMeta(),
                subject_id=active,
                tenant_id=where,
            )
    response = await client.get(f"/v1/tenants/{tenant}/stats", headers=admin.headers)
    assert response.status_code == 200, response.text
    assert {
        key: response.json()[key]
        for key in (
            "members",
            "active_members",
            "active_sessions",
            "logins_last_30_days",
            "pending_invitations",
        )
    } == {
        "members": 2,
        "active_members": 1,
        "active_sessions": 1,
        "logins_last_30_days": 1,
        "pending_invitations": 0,
    }
