"""What a password login reads and writes, now that PostgreSQL finds the account and counts
the attempt in one statement and writes the session in one (``auth.login_sql``): the same
rows as the ORM path on SQLite, the attempt counter under the same key, few statements."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import cast

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.invalidation.local import writes_principal
from identity.models import AuthSession, LoginThrottle, RefreshToken, User
from identity.principal import RequestMeta
from identity.services import throttle
from identity.services.auth import login_sql
from identity.services.tokens import new_session
from identity.services.users_admin import counts
from identity.sql_writes import writes
from tests.factories import ACCOUNT_PASSWORD, register
from tests.support.app import runtime
from tests.support.audit import audit_events
from tests.support.statements import counting

EMAIL = "writer@example.com"
LOGIN = "/api/v1/auth/login"


async def account_id(app: FastAPI) -> uuid.UUID:
    async with runtime(app).database.read() as session:
        found = await session.scalar(select(col(User.id)).where(col(User.email) == EMAIL))
    assert found is not None
    return found


async def counters(app: FastAPI) -> dict[str, int]:
    async with runtime(app).database.read() as session:
        rows = (await session.execute(select(LoginThrottle))).scalars().all()
    return {row.identifier_hash: row.failures for row in rows}


async def test_failures_count_under_the_accounts_key_and_a_login_forgets_them(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given: two wrong passwords, typed with different casings of the address
    await register(client, EMAIL)
    user_id = await account_id(app)
    for typed in (EMAIL, EMAIL.upper()):
        wrong = await client.post(LOGIN, json={"email": typed, "password": "Wrong-password-1"})
        assert wrong.status_code == 401, wrong.text
    unknown = await client.post(
        LOGIN, json={"email": "nobody@example.com", "password": "Wrong-password-1"}
    )
    assert unknown.status_code == 401, unknown.text
    account_key = throttle.login_key("", user_id)
    assert await counters(app) == {
        account_key: 2,
        throttle.login_key("nobody@example.com", None): 1,
    }

    # when
    answer = await client.post(
        LOGIN,
        json={
            "email": EMAIL,
            "password": ACCOUNT_PASSWORD,
            "device_info": {"device_id": "phone-1", "name": "Phone"},
        },
        headers={"User-Agent": "writer/1", "X-Request-ID": "login-rows-1"},
    )

    # then: the account's counter is gone, the unknown identifier's stays
    assert answer.status_code == 200, answer.text
    assert account_key not in await counters(app)
    assert len(await counters(app)) == 1
    async with runtime(app).database.read() as session:
        user = await session.get(User, user_id)
        (auth_session,) = (
            await session.scalars(select(AuthSession).where(col(AuthSession.user_id) == user_id))
        ).all()
        tokens = (
            await session.scalars(
                select(RefreshToken).where(col(RefreshToken.session_id) == auth_session.id)
            )
        ).all()
    assert user is not None
    assert user.failed_login_attempts == 0
    assert user.last_login is not None
    assert user.last_login_ip == auth_session.ip_address
    assert auth_session.device_id == "phone-1"
    assert auth_session.device_info == {"device_id": "phone-1", "name": "Phone"}
    assert auth_session.amr == ["pwd"]
    assert auth_session.auth_method == "password"
    assert auth_session.user_agent == "writer/1"
    assert auth_session.revoked_at is None
    assert auth_session.authenticated_at == auth_session.created_at
    assert [token.parent_id for token in tokens] == [None]
    assert tokens[0].used_at is None
    assert tokens[0].revoked_at is None
    (row,) = await audit_events(app, "login.succeeded")
    assert (row.actor_id, row.subject_id, row.session_id) == (user_id, user_id, auth_session.id)
    assert row.tenant_id is None
    assert (row.user_agent, row.request_id) == ("writer/1", "login-rows-1")
    assert row.ip_address == auth_session.ip_address
    assert row.details == {
        "method": "password",
        "device": {"device_id": "phone-1", "name": "Phone"},
    }


async def test_a_login_runs_few_statements(
    app: FastAPI, client: httpx.AsyncClient, backend: str
) -> None:
    # given
    await register(client, EMAIL)

    # when
    with counting(app, this_task=True) as counter:
        answer = await client.post(LOGIN, json={"email": EMAIL, "password": ACCOUNT_PASSWORD})

    # then: on PostgreSQL the account and the attempt, then the session's writes with the
    # permissions for the claim (``login_sql.OPEN_CHECKED``)
    assert answer.status_code == 200, answer.text
    if backend == "postgresql":
        assert len(counter.queries) <= 2, counter.queries


async def test_the_password_session_is_new_sessions_row_with_pwd(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given: the app started (the client's lifespan)
    deps = runtime(app).deps
    user = cast(User, SimpleNamespace(id=uuid.uuid4()))  # the builders read its id alone
    meta = RequestMeta(ip_address="192.0.2.7", user_agent="writer/1", request_id="r-1")
    device = {"device_id": "phone-1", "name": "Phone"}
    tenant_id = uuid.uuid4()

    # when
    expected = new_session(
        deps, user=user, meta=meta, device_info=device, auth_method="password", tenant_id=tenant_id
    )
    built = login_sql.password_session(
        deps, user=user, meta=meta, device_info=device, tenant_id=tenant_id, now=expected.created_at
    )

    # then: the same columns (its own id), amr pwd
    expected.amr = ["pwd"]
    skipped = {"id"}
    assert {k: v for k, v in built.model_dump().items() if k not in skipped} == {
        k: v for k, v in expected.model_dump().items() if k not in skipped
    }
    assert built.id != expected.id


@pytest.mark.parametrize("statement", ["FIND_AND_COUNT", "FIND_AND_COUNT_IN"])
def test_the_driven_lookup_writes_nothing_the_caches_watch(statement: str) -> None:
    # Run on the driver, it bypasses the engine's statement events (``identity.db_driver``).
    sql = getattr(login_sql, statement).sql

    assert not writes_principal(sql)
    assert not counts.changes_counts(sql)
    # ``writes`` reads the upsert's DO UPDATE SET as a write of a table "set" (a false yes)
    assert {write.table for write in writes(sql)} - {"set"} == {"login_throttles"}
