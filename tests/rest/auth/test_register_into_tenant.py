"""Seed 004's registration with ``organization_id``: only into an active tenant open to
self-registration (else SELF_REGISTRATION_NOT_ALLOWED, the same for an unknown tenant, and
no account is made), joined through ``membership.join`` (TENANT_FULL when it has no room).
SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.models import TenantMember, User
from tests.factories import ACCOUNT_PASSWORD, add_member, add_user, new_tenant
from tests.support.app import runtime
from tests.support.http import assert_error

REGISTER = "/api/v1/auth/register"


def body(email: str, organization_id: object) -> dict[str, object]:
    return {"email": email, "password": ACCOUNT_PASSWORD, "organization_id": str(organization_id)}


async def test_an_open_tenant_takes_the_new_account(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    tenant = await new_tenant(app, allow_self_registration=True)
    response = await client.post(REGISTER, json=body("open@example.com", tenant))
    assert response.status_code == 201, response.text
    assert response.json()["organization_id"] == str(tenant)
    async with runtime(app).database.read() as session:
        member = await session.get(TenantMember, (tenant, uuid.UUID(response.json()["id"])))
    assert member is not None


@pytest.mark.parametrize("case", ["closed", "inactive", "unknown", "malformed"])
async def test_a_tenant_not_open_refuses_alike(
    app: FastAPI, client: httpx.AsyncClient, case: str
) -> None:
    organization: object = {
        "closed": await new_tenant(app),
        "inactive": await new_tenant(app, is_active=False, allow_self_registration=True),
        "unknown": uuid.uuid4(),
        "malformed": "org_uuid_here",
    }[case]
    response = await client.post(REGISTER, json=body("refused@example.com", organization))
    assert_error(response, 403, "SELF_REGISTRATION_NOT_ALLOWED")
    assert response.json()["error"]["message"] == (
        "This organization does not accept self-registration"
    )
    async with runtime(app).database.read() as session:
        made = await session.scalar(
            select(col(User.id)).where(col(User.email_key) == "refused@example.com")
        )
    assert made is None


async def test_a_full_tenant_is_tenant_full(app: FastAPI, client: httpx.AsyncClient) -> None:
    tenant = await new_tenant(app, max_users=1, allow_self_registration=True)
    await add_member(app, tenant, await add_user(app))
    response = await client.post(REGISTER, json=body("late@example.com", tenant))
    assert_error(response, 409, "TENANT_FULL")
