"""A refresh is one transaction of prebuilt statements: what it writes, and what it leaves
alone when it refuses. SQLite and PostgreSQL (where the common case is one statement)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import jwt as pyjwt
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, func, select, update
from sqlmodel import col

from identity.models import (
    AuthSession,
    PermissionRow,
    RefreshToken,
    Tenant,
    TenantMember,
    User,
    UserPermission,
)
from tests.factories import ACCOUNT_PASSWORD, add_member, new_tenant, register
from tests.support.app import runtime
from tests.support.audit import audit_events
from tests.support.http import assert_error, me_status, post_ok
from tests.support.statements import counting

ACCOUNT = {"email": "user@example.com", "password": "SecurePassword123!"}
REFRESH = "/api/v1/auth/refresh"


async def signed_in(client: httpx.AsyncClient) -> dict[str, Any]:
    await post_ok(client, "/v1/auth/register", ACCOUNT, status=201)
    return await post_ok(client, "/v1/auth/login", ACCOUNT)


async def token_rows(app: FastAPI) -> int:
    async with runtime(app).database.read() as session:
        return int(await session.scalar(select(func.count()).select_from(RefreshToken)) or 0)


async def set_account(app: FastAPI, **values: Any) -> None:
    async with runtime(app).database.unit_of_work() as session:
        await session.execute(
            update(User).where(col(User.email) == ACCOUNT["email"]).values(**values)
        )


async def test_ten_parallel_refreshes_rotate_once_and_audit_one_rotation(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    token = (await signed_in(client))["refresh_token"]
    before = await token_rows(app)

    # when
    answers = await asyncio.gather(
        *(client.post(REFRESH, json={"refresh_token": token}) for _ in range(10))
    )

    # then: one successor, one row for it, one rotation audited (the others answered again)
    assert [answer.status_code for answer in answers] == [200] * 10
    assert len({answer.json()["refresh_token"] for answer in answers}) == 1
    assert await token_rows(app) == before + 1
    refreshed = await audit_events(app, "token.refreshed")
    assert [row.details for row in refreshed].count({}) == 1
    assert [row.details for row in refreshed].count({"reissued": True}) == 9


async def test_a_rotation_writes_its_audit_row_whole(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    login = await signed_in(client)

    # when
    answer = await client.post(
        REFRESH,
        json={"refresh_token": login["refresh_token"]},
        headers={"User-Agent": "tab/2", "X-Request-ID": "rotation-1"},
    )

    # then
    assert answer.status_code == 200, answer.text
    (row,) = await audit_events(app, "token.refreshed")
    user_id = login["user"]["id"]
    assert (str(row.actor_id), str(row.subject_id), str(row.session_id)) == (
        user_id,
        user_id,
        login["session_id"],
    )
    assert (row.tenant_id, row.resource, row.resource_id, row.details) == (None, None, None, {})
    assert (row.user_agent, row.request_id) == ("tab/2", "rotation-1")
    assert row.ip_address


async def test_the_new_token_claims_the_permissions_read_in_the_refresh(
    client: httpx.AsyncClient,
) -> None:
    login = await signed_in(client)
    answer = await post_ok(client, REFRESH, {"refresh_token": login["refresh_token"]})
    assert await me_status(client, answer["access_token"]) == 200
    assert answer["user"]["id"] == login["user"]["id"]


async def test_a_deactivated_account_is_refused_and_nothing_is_written(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given an account switched off behind the sessions' back (they were not ended)
    token = (await signed_in(client))["refresh_token"]
    before = await token_rows(app)
    await set_account(app, is_active=False)

    # when
    refused = await client.post(REFRESH, json={"refresh_token": token})

    # then: no successor, no rotation audited, the refusal audited
    assert_error(refused, 403, "ACCOUNT_DISABLED")
    assert await token_rows(app) == before
    assert await audit_events(app, "token.refreshed") == []
    (failed,) = await audit_events(app, "token.refresh_failed")
    assert failed.details == {"reason": "ACCOUNT_DISABLED", "known_token": True}

    # and the token is still unused: switched on again, it rotates
    await set_account(app, is_active=True)
    await post_ok(client, REFRESH, {"refresh_token": token})


async def test_an_account_that_must_change_its_password_is_refused_and_nothing_written(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token = (await signed_in(client))["refresh_token"]
    before = await token_rows(app)
    await set_account(app, must_change_password=True)

    refused = await client.post(REFRESH, json={"refresh_token": token})

    assert_error(refused, 403, "PASSWORD_CHANGE_REQUIRED")
    assert await token_rows(app) == before
    assert await audit_events(app, "token.refreshed") == []


async def session_row(app: FastAPI, session_id: str) -> AuthSession:
    async with runtime(app).database.read() as session:
        stored = await session.get(AuthSession, uuid.UUID(session_id))
    assert stored is not None
    return stored


@pytest.mark.parametrize(
    ("account", "status", "code"),
    [
        ({"status": "locked", "locked_until": None}, 403, "ACCOUNT_DISABLED"),
        ({"status": "pending"}, 403, "ACCOUNT_PENDING"),
        ({"status": "inactive"}, 403, "ACCOUNT_DISABLED"),
        ({"must_change_password": True}, 403, "PASSWORD_CHANGE_REQUIRED"),
        ({"tenant": "deactivated"}, 401, "TOKEN_INVALID"),
    ],
)
async def test_a_refused_refresh_leaves_the_session_and_its_tokens_as_they_were(
    app: FastAPI, client: httpx.AsyncClient, account: dict[str, Any], status: int, code: str
) -> None:
    """PostgreSQL's refresh is one statement outside a transaction: it must check all a
    refresh checks itself, or it would have touched the session before the refusal."""
    # given a login acting in a tenant, then the account's or the tenant's state changed
    tenant_id = await new_tenant(app, "standing")
    user_id = uuid.UUID((await register(client, ACCOUNT["email"])).json()["id"])
    await add_member(app, tenant_id, user_id)
    login = await post_ok(client, "/api/v1/auth/login", {**ACCOUNT, "password": ACCOUNT_PASSWORD})
    before = await session_row(app, login["session_id"])
    tokens = await token_rows(app)
    account = dict(account)  # the parameters are shared by both databases' runs
    if account.pop("tenant", None):
        async with runtime(app).database.unit_of_work() as session:
            await session.execute(
                update(Tenant).where(col(Tenant.id) == tenant_id).values(is_active=False)
            )
    else:
        await set_account(app, **account)

    # when
    refused = await client.post(REFRESH, json={"refresh_token": login["refresh_token"]})

    # then
    assert_error(refused, status, code)
    after = await session_row(app, login["session_id"])
    assert (after.last_used_at, after.tenant_id) == (before.last_used_at, before.tenant_id)
    assert await token_rows(app) == tokens
    assert await audit_events(app, "token.refreshed") == []


async def test_after_logout_the_refresh_token_is_refused(client: httpx.AsyncClient) -> None:
    login = await signed_in(client)
    response = await client.post(
        "/api/v1/auth/logout", json={"refresh_token": login["refresh_token"]}
    )
    assert response.status_code in (200, 204), response.text

    assert_error(
        await client.post(REFRESH, json={"refresh_token": login["refresh_token"]}),
        401,
        "TOKEN_INVALID",
    )


async def test_a_refresh_is_few_statements(
    app: FastAPI, client: httpx.AsyncClient, backend: str
) -> None:
    """PostgreSQL: the rotation in one statement, the permissions from the principal cache
    (read in the refresh's transaction, and kept, when not there)."""
    token = (await signed_in(client))["refresh_token"]
    # this task's alone: the mail worker may be sending the registration's mail meanwhile
    with counting(app, this_task=True) as counter:
        token = (await post_ok(client, REFRESH, {"refresh_token": token}))["refresh_token"]
    assert len(counter.queries) == (2 if backend == "postgresql" else 7), counter.queries

    with counting(app, this_task=True) as counter:
        await post_ok(client, REFRESH, {"refresh_token": token})

    assert len(counter.queries) == (1 if backend == "postgresql" else 6), counter.queries


async def test_a_permission_withdrawn_is_not_in_the_next_refreshed_token(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given a token refreshed twice while the account held a direct grant (the second
    # refresh took the permissions from the principal cache)
    login = await signed_in(client)
    async with runtime(app).database.unit_of_work() as session:
        account = await session.scalar(select(User).where(col(User.email) == ACCOUNT["email"]))
        assert account is not None
        user_id = account.id
        granted = await session.scalar(
            select(col(PermissionRow.id)).where(col(PermissionRow.name) == "users:read")
        )
        session.add(
            UserPermission(user_id=user_id, permission_id=granted, created_at=account.created_at)
        )
    token = login["refresh_token"]
    for _ in range(2):
        refreshed = await post_ok(client, REFRESH, {"refresh_token": token})
        assert "users:read" in claims(refreshed["access_token"])["permissions"]
        token = refreshed["refresh_token"]

    # when the grant is withdrawn
    async with runtime(app).database.unit_of_work() as session:
        await session.execute(delete(UserPermission).where(col(UserPermission.user_id) == user_id))

    # then the next refresh's token does not carry it
    refreshed = await post_ok(client, REFRESH, {"refresh_token": token})
    assert "users:read" not in claims(refreshed["access_token"])["permissions"]


async def test_a_session_whose_user_left_its_tenant_goes_on_in_no_tenant(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given a login acting in a tenant the account then leaves
    tenant_id = await new_tenant(app, "left-behind")
    user_id = uuid.UUID((await register(client, ACCOUNT["email"])).json()["id"])
    await add_member(app, tenant_id, user_id)
    login = await post_ok(client, "/api/v1/auth/login", {**ACCOUNT, "password": ACCOUNT_PASSWORD})
    assert claims(login["access_token"])["tid"] == str(tenant_id)
    async with runtime(app).database.unit_of_work() as session:
        await session.execute(delete(TenantMember).where(col(TenantMember.user_id) == user_id))

    # when
    refreshed = await post_ok(client, REFRESH, {"refresh_token": login["refresh_token"]})

    # then: the new token names no tenant, the session acts in none, the old token is refused
    assert "tid" not in claims(refreshed["access_token"])
    async with runtime(app).database.read() as session:
        stored = await session.get(AuthSession, uuid.UUID(login["session_id"]))
    assert stored is not None
    assert stored.tenant_id is None
    assert await me_status(client, refreshed["access_token"]) == 200
    assert await me_status(client, login["access_token"]) == 401


def claims(token: str) -> dict[str, Any]:
    found: dict[str, Any] = pyjwt.decode(token, options={"verify_signature": False})
    return found
