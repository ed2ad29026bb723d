"""The tenant a session acts in: login picks it (seed 004's ``organization_slug``, else the
primary tenant), the access token names it (``tid``), refresh keeps it, the session row
decides it on each request. A slug the account cannot log into fails exactly like a wrong
password. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import jwt as pyjwt
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.models import AuditEvent, AuthSession, Tenant
from tests.factories import ACCOUNT_PASSWORD, add_member, new_tenant, register
from tests.support.app import runtime
from tests.support.http import bearer

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
ME = "/api/v1/users/me"
MY_ORG = "/api/v1/organizations/my/info"


def claims(token: str) -> dict[str, Any]:
    found: dict[str, Any] = pyjwt.decode(token, options={"verify_signature": False})
    return found


async def member(app: FastAPI, client: httpx.AsyncClient, *tenants: uuid.UUID) -> str:
    email = f"m{uuid.uuid4().hex[:10]}@example.com"
    user_id = uuid.UUID((await register(client, email)).json()["id"])
    for tenant_id in tenants:
        await add_member(app, tenant_id, user_id)
    return email


async def login(client: httpx.AsyncClient, email: str, **extra: Any) -> httpx.Response:
    return await client.post(LOGIN, json={"email": email, "password": ACCOUNT_PASSWORD, **extra})


async def session_tenant(app: FastAPI, token: str) -> uuid.UUID | None:
    async with runtime(app).database.read() as session:
        row = await session.get(AuthSession, uuid.UUID(claims(token)["sid"]))
        assert row is not None
        return row.tenant_id


async def test_the_slug_picks_the_tenant_and_the_token_names_it(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    first = await new_tenant(app, "first-org")
    second = await new_tenant(app, "second-org")
    email = await member(app, client, first, second)

    response = await login(client, email, organization_slug="second-org")

    assert response.status_code == 200, response.text
    body = response.json()
    assert claims(body["access_token"])["tid"] == str(second)
    assert await session_tenant(app, body["access_token"]) == second
    assert body["user"]["organization_id"] == str(first)  # the primary tenant: first joined
    info = await client.get(MY_ORG, headers=bearer(body["access_token"]))
    assert info.status_code == 200, info.text
    assert info.json()["slug"] == "second-org"


async def test_without_a_slug_the_primary_tenant_if_active(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    primary = await new_tenant(app)
    email = await member(app, client, primary)
    assert claims((await login(client, email)).json()["access_token"])["tid"] == str(primary)

    async with runtime(app).database.unit_of_work() as session:
        tenant = await session.get(Tenant, primary)
        assert tenant is not None
        tenant.is_active = False
    token = (await login(client, email)).json()["access_token"]
    assert "tid" not in claims(token)
    assert (await client.get(MY_ORG, headers=bearer(token))).status_code == 200  # primary info


async def test_no_tenant_no_tid_and_my_info_is_not_found(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    email = await member(app, client)
    token = (await login(client, email)).json()["access_token"]
    assert "tid" not in claims(token)
    assert (await client.get(MY_ORG, headers=bearer(token))).status_code == 404


async def test_a_slug_one_cannot_log_into_fails_like_a_wrong_password(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    mine = await new_tenant(app, "mine-org")
    await new_tenant(app, "other-org")
    closed = await new_tenant(app, "closed-org", is_active=False)
    email = await member(app, client, mine, closed)

    wrong = await client.post(LOGIN, json={"email": email, "password": "Wrong-Password-1!"})
    answers = [
        wrong,
        await login(client, email, organization_slug="other-org"),  # not a member
        await login(client, email, organization_slug="no-such-org"),  # unknown
        await login(client, email, organization_slug="closed-org"),  # a member, inactive
    ]

    def shape(response: httpx.Response) -> tuple[int, str, str]:
        error = response.json()["error"]
        return response.status_code, error["code"], error["message"]

    assert {shape(one) for one in answers} == {shape(wrong)}
    assert shape(wrong)[:2] == (401, "INVALID_CREDENTIALS")
    async with runtime(app).database.read() as session:
        failed = await session.scalars(
            select(col(AuditEvent.event_type)).where(col(AuditEvent.event_type) == "login.failed")
        )
        assert len(failed.all()) == len(answers)  # each counted as a failed attempt
    assert (await login(client, email, organization_slug="mine-org")).status_code == 200


async def test_refresh_keeps_the_tenant(app: FastAPI, client: httpx.AsyncClient) -> None:
    first = await new_tenant(app, "keep-one")
    second = await new_tenant(app, "keep-two")
    email = await member(app, client, first, second)
    body = (await login(client, email, organization_slug="keep-two")).json()

    refreshed = await client.post(REFRESH, json={"refresh_token": body["refresh_token"]})

    assert refreshed.status_code == 200, refreshed.text
    assert claims(refreshed.json()["access_token"])["tid"] == str(second)


async def test_a_deactivated_tenant_refuses_its_sessions_at_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    tenant = await new_tenant(app, "soon-closed")
    email = await member(app, client, tenant)
    body = (await login(client, email)).json()
    assert (await client.get(ME, headers=bearer(body["access_token"]))).status_code == 200

    async with runtime(app).database.unit_of_work() as session:
        row = await session.get(Tenant, tenant)
        assert row is not None
        row.is_active = False

    assert (await client.get(ME, headers=bearer(body["access_token"]))).status_code == 401
    refreshed = await client.post(REFRESH, json={"refresh_token": body["refresh_token"]})
    assert refreshed.status_code == 401
