"""An administrator's reset of someone's MFA over REST: ``users:write`` within reach (a
tenant's administrator reaches the members of their tenant only), audited, the user mailed;
any other id answers 404 with nothing changed."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.models import AuditEvent
from tests.factories import add_member, caller, new_tenant, super_admin, tenant_admin
from tests.flows.conftest import queued_to
from tests.support.app import runtime
from tests.support.http import assert_error
from tests.support.mfa_factors import mfa_row, signed_in, unused_codes, with_totp


def reset_path(user_id: object) -> str:
    return f"/v1/admin/users/{user_id}/mfa/reset"


async def test_a_super_admin_resets_a_users_mfa(app: FastAPI, client: httpx.AsyncClient) -> None:
    user = await signed_in(app, "lost-phone@example.com")
    await with_totp(app, user)
    root = await super_admin(app)

    response = await client.post(reset_path(user.id), headers=root.headers)

    assert response.status_code == 200, response.text
    assert response.json() == {"message": "MFA reset"}
    assert await mfa_row(app, user.id) is None
    assert await unused_codes(app, user.id) == 0
    status = await client.get("/v1/auth/mfa/status", headers=user.headers)
    assert status.json()["enabled"] is False
    async with runtime(app).database.read() as session:
        [event] = (
            await session.scalars(
                select(AuditEvent).where(col(AuditEvent.event_type) == "mfa.reset")
            )
        ).all()
    assert event.actor_id == root.id
    assert event.subject_id == user.id
    assert event.details["methods"] == ["totp", "backup_code"]
    subjects = [mail.subject for mail in await queued_to(app, "lost-phone@example.com")]
    assert "An administrator reset your multi-factor authentication" in subjects


async def test_without_users_write_or_out_of_reach_nothing_changes(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    ours = await new_tenant(app)
    theirs = await new_tenant(app)
    member = await signed_in(app)
    outsider = await signed_in(app)
    await add_member(app, ours, member.id)
    await add_member(app, theirs, outsider.id)
    await with_totp(app, member)
    await with_totp(app, outsider)
    reader = await caller(app, permissions=["users:read"])
    admin = await tenant_admin(app, ours)

    assert_error(
        await client.post(reset_path(member.id), headers=reader.headers), 403, "PERMISSION_DENIED"
    )
    assert_error(await client.post(reset_path(member.id)), 401, "AUTHENTICATION_REQUIRED")
    for target in [outsider.id, uuid.uuid4(), "not-a-uuid"]:
        response = await client.post(reset_path(target), headers=admin.headers)
        assert_error(response, 404, "RESOURCE_NOT_FOUND")
    assert await unused_codes(app, outsider.id) == 10
    assert await unused_codes(app, member.id) == 10

    reset = await client.post(reset_path(member.id), headers=admin.headers)

    assert reset.status_code == 200, reset.text
    assert await unused_codes(app, member.id) == 0
    assert await unused_codes(app, outsider.id) == 10


async def test_an_admin_cannot_reset_a_super_admins_mfa(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    boss = await signed_in(app, role="superadmin")
    await with_totp(app, boss)
    admin = await caller(app, role="admin")

    response = await client.post(reset_path(boss.id), headers=admin.headers)

    assert response.status_code == 403, response.text
    assert await unused_codes(app, boss.id) == 10
