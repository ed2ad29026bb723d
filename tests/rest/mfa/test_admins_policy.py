"""``mfa_required_for = admins`` covers every account that administers something: a primary
role other than ``user``, a tenant's admin role, a custom role or direct grant of a write
permission (red team); an account that only reads is not covered."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col

from identity.models import User
from tests.factories import ACCOUNT_PASSWORD, caller, new_tenant, set_setting, tenant_admin
from tests.support.app import runtime
from tests.support.mfa_login import password_login


async def _with_password(app: FastAPI, user_id: uuid.UUID) -> None:
    hashed = await runtime(app).deps.hasher.hash(ACCOUNT_PASSWORD)
    async with runtime(app).database.unit_of_work() as session:
        await session.execute(
            update(User)
            .where(col(User.id) == user_id)
            .values(password_hash=hashed, email_verified=True)
        )


@pytest.mark.parametrize(
    ("who", "covered"),
    [
        ("tenant_admin", True),
        ("custom_role_admin", True),
        ("locations_writer", True),
        ("reader", False),
    ],
)
async def test_admins_policy_covers_every_administrator(
    app: FastAPI, client: httpx.AsyncClient, who: str, covered: bool
) -> None:
    await set_setting(app, client, "mfa_required_for", "admins")
    email = f"{who.replace('_', '-')}-{uuid.uuid4().hex[:6]}@example.com"
    if who == "tenant_admin":
        account = await tenant_admin(app, await new_tenant(app), email)
    elif who == "custom_role_admin":
        account = await caller(app, permissions=["users:write", "roles:write"], email=email)
    elif who == "locations_writer":
        account = await caller(app, permissions=["locations:write"], email=email)
    else:
        account = await caller(app, permissions=["users:read", "audit:read"], email=email)
    await _with_password(app, account.id)
    answer = await password_login(client, email)
    if covered:
        assert "access_token" not in answer
        assert answer.get("mfa_enrollment_required") is True
    else:
        assert answer["access_token"]
