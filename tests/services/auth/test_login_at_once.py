"""A password login on PostgreSQL writes its session in one statement on the driver
(``login_sql.OPEN_CHECKED``) that checks again what the plain way checks: an account changed
between the password check and the open (deactivated, locked, a password change owed, a
second factor enabled) gets the plain way's answer and nothing of the statement is written;
concurrent logins of one account each open a session; the principal cache is told of the
write as of the engine's."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import jwt as pyjwt
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlmodel import col

from identity import db_driver
from identity.clock import isoformat_z
from identity.invalidation.cache import PrincipalCache
from identity.invalidation.channel import PostgresListener
from identity.invalidation.local import writes_principal
from identity.models import AuthSession, LoginThrottle, Role, User
from identity.models.mfa import UserMfa
from identity.security.passwords import PasswordCheck
from identity.services import authorization, throttle
from identity.services.auth import login_sql
from identity.services.users_admin import counts
from identity.sql_writes import writes
from tests.factories import (
    ACCOUNT_PASSWORD,
    add_member,
    add_user,
    new_role,
    new_tenant,
    register,
)
from tests.support.app import runtime
from tests.support.audit import audit_events
from tests.support.http import ME, bearer
from tests.support.statements import counting

EMAIL = "racer@example.com"
LOGIN = "/api/v1/auth/login"
CREDENTIALS = {"email": EMAIL, "password": ACCOUNT_PASSWORD}


async def account_id(app: FastAPI) -> uuid.UUID:
    async with runtime(app).database.read() as session:
        found = await session.scalar(select(col(User.id)).where(col(User.email) == EMAIL))
    assert found is not None
    return found


async def sessions_of(app: FastAPI, user_id: uuid.UUID) -> int:
    async with runtime(app).database.read() as session:
        found = await session.scalar(
            select(func.count()).where(col(AuthSession.user_id) == user_id)
        )
    return int(found or 0)


async def counter_of(app: FastAPI, user_id: uuid.UUID) -> int | None:
    async with runtime(app).database.read() as session:
        return await session.scalar(
            select(col(LoginThrottle.failures)).where(
                col(LoginThrottle.identifier_hash) == throttle.login_key("", user_id)
            )
        )


def test_the_statement_writes_what_the_principal_cache_watches_and_no_count() -> None:
    sql = login_sql.OPEN_CHECKED.sql

    assert writes_principal(sql)  # hence ``own_write`` around it
    assert not counts.changes_counts(sql)
    assert {write.table for write in writes(sql)} == {
        "users",
        "sessions",
        "refresh_tokens",
        "audit_events",
        "login_throttles",
    }


def test_own_write_calls_what_the_channel_told_it_around_the_write() -> None:
    cache = PrincipalCache(enabled=True)
    calls: list[Any] = []
    with cache.own_write():  # no channel told: nothing to call
        calls.append("write")

    def committed() -> int:
        calls.append("committed")
        return 7

    cache.tell_own_writes(committed, calls.append)

    def failing_write() -> None:
        with cache.own_write():
            calls.append("write")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        failing_write()

    assert calls == ["write", "committed", "write", 7]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_login_is_two_statements_the_second_told_to_the_cache(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given: the channel's own callbacks, watched
    await register(client, EMAIL)
    cache = runtime(app).deps.principals
    told = cache._told
    assert told is not None
    events: list[str] = []

    def committed() -> int:
        events.append("committed")
        return told[0]()

    def settled(write: int) -> None:
        events.append("settled")
        told[1](write)

    cache.tell_own_writes(committed, settled)
    stop = db_driver.observe(
        lambda sql: events.append("open" if sql == login_sql.OPEN_CHECKED.sql else "other")
    )

    # when
    try:
        with counting(app, this_task=True) as counter:
            answer = await client.post(LOGIN, json=CREDENTIALS)
    finally:
        stop()
        cache.tell_own_writes(*told)

    # then: the account and the attempt, then the session's writes and the claim's grants
    assert answer.status_code == 200, answer.text
    assert counter.queries == [login_sql.FIND_AND_COUNT.sql, login_sql.OPEN_CHECKED.sql]
    assert events == ["other", "committed", "open", "settled"]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_me_through_a_cached_session_shows_the_next_login_at_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given: a session whose caller is served from the cache
    await register(client, EMAIL)
    first = (await client.post(LOGIN, json=CREDENTIALS)).json()
    channel = runtime(app).invalidation
    assert isinstance(channel, PostgresListener)
    async with asyncio.timeout(10):
        await channel.wait_usable()
    assert (await client.get(ME, headers=bearer(first["access_token"]))).status_code == 200
    with counting(app) as counter:
        seen = await client.get(ME, headers=bearer(first["access_token"]))
    assert counter.queries == []
    assert seen.json()["last_login"] == first["user"]["last_login"]

    # when: the account logs in again, on the driver
    second = (await client.post(LOGIN, json=CREDENTIALS)).json()
    again = await client.get(ME, headers=bearer(first["access_token"]))

    # then: the cached copy of the account is not served
    assert second["user"]["last_login"] != first["user"]["last_login"]
    assert again.json()["last_login"] == second["user"]["last_login"]


Change = Callable[[FastAPI, uuid.UUID], Awaitable[None]]


def _account(**values: Any) -> Change:
    async def change(app: FastAPI, user_id: uuid.UUID) -> None:
        now = runtime(app).clock.now()
        async with runtime(app).database.unit_of_work() as session:
            user = await session.get(User, user_id)
            assert user is not None
            for name, value in values.items():
                setattr(user, name, value(now) if callable(value) else value)

    return change


async def _totp_enabled(app: FastAPI, user_id: uuid.UUID) -> None:
    now = runtime(app).clock.now()
    async with runtime(app).database.unit_of_work() as session:
        session.add(
            UserMfa(user_id=user_id, totp_secret="sealed", totp_enabled_at=now, updated_at=now)
        )


def _in_an_hour(now: Any) -> Any:
    return now + timedelta(hours=1)


REFUSALS = [
    pytest.param(
        _account(is_active=False, status="inactive"), 403, "ACCOUNT_DISABLED", id="deactivated"
    ),
    pytest.param(
        _account(status="locked", locked_at=lambda now: now),
        403,
        "ACCOUNT_DISABLED",
        id="locked by an administrator",
    ),
    pytest.param(
        _account(status="locked", locked_at=lambda now: now, locked_until=_in_an_hour),
        423,
        "ACCOUNT_LOCKED",
        id="locked by an administrator for an hour",
    ),
    pytest.param(_account(locked_until=_in_an_hour), 423, "ACCOUNT_LOCKED", id="failed-login lock"),
    pytest.param(_account(status="pending"), 403, "ACCOUNT_PENDING", id="pending"),
]


async def _changed_during_the_check(app: FastAPI, change: Change) -> None:
    """The password check changes the account once it has verified the password."""
    deps = runtime(app).deps
    user_id = await account_id(app)
    verify = deps.hasher.verify

    async def verified(password_hash: str | None, password: str) -> PasswordCheck:
        check = await verify(password_hash, password)
        await change(app, user_id)
        return check

    deps.hasher.verify = verified  # type: ignore[method-assign]


@pytest.mark.parametrize(("change", "status", "code"), REFUSALS)
async def test_an_account_disabled_or_locked_during_the_check_is_refused(
    app: FastAPI, client: httpx.AsyncClient, change: Change, status: int, code: str
) -> None:
    # given
    await register(client, EMAIL)
    user_id = await account_id(app)
    await _changed_during_the_check(app, change)

    # when
    answer = await client.post(LOGIN, json=CREDENTIALS)

    # then: refused as the plain way refuses, no session, the attempt still counted
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code), answer.text
    assert await sessions_of(app, user_id) == 0
    assert await counter_of(app, user_id) == 1
    assert await audit_events(app, "login.succeeded") == []
    (refused,) = await audit_events(app, "login.refused")
    assert refused.subject_id == user_id


async def test_a_password_change_owed_since_the_check_gets_its_token(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await register(client, EMAIL)
    await _changed_during_the_check(app, _account(must_change_password=True))

    answer = await client.post(LOGIN, json=CREDENTIALS)

    assert answer.status_code == 200, answer.text
    assert answer.json()["refresh_token"] is None
    assert answer.json()["user"]["must_change_password"] is True


async def test_a_second_factor_enabled_during_the_check_is_asked_for(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await register(client, EMAIL)
    user_id = await account_id(app)
    await _changed_during_the_check(app, _totp_enabled)

    answer = await client.post(LOGIN, json=CREDENTIALS)

    assert answer.status_code == 200, answer.text
    assert answer.json().get("mfa_required") is True, answer.text
    assert "access_token" not in answer.json() or answer.json()["access_token"] is None
    assert await sessions_of(app, user_id) == 0
    assert await audit_events(app, "login.succeeded") == []


async def test_concurrent_logins_of_one_account_each_open_a_session(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given: a failed attempt counted
    await register(client, EMAIL)
    user_id = await account_id(app)
    wrong = await client.post(LOGIN, json={"email": EMAIL, "password": "Wrong-password-1"})
    assert wrong.status_code == 401

    # when: as many as the lockout threshold (5) lets through with the failure counted
    answers = await asyncio.gather(*(client.post(LOGIN, json=CREDENTIALS) for _ in range(4)))

    # then
    assert [one.status_code for one in answers] == [200] * 4
    assert len({one.json()["session_id"] for one in answers}) == 4
    assert await sessions_of(app, user_id) == 4
    assert len(await audit_events(app, "login.succeeded")) == 4
    assert await counter_of(app, user_id) is None
    async with runtime(app).database.read() as session:
        user = await session.get(User, user_id)
    assert user is not None
    assert user.last_login is not None
    assert user.failed_login_attempts == 0
    assert isoformat_z(user.last_login) in {one.json()["user"]["last_login"] for one in answers}


@pytest.mark.parametrize("role", ["user", "superadmin"])
async def test_the_claim_holds_what_the_account_holds_in_its_tenant(
    app: FastAPI, client: httpx.AsyncClient, role: str
) -> None:
    # given: a global role, a direct grant, and a role of the tenant the login acts in
    deps = runtime(app).deps
    tenant_id = await new_tenant(app)
    async with deps.database.read() as session:
        tenant_role = await session.scalar(
            select(col(Role.id)).where(col(Role.tenant_id) == tenant_id)
        )
    assert tenant_role is not None
    user_id = await add_user(
        app,
        EMAIL,
        role=role,
        roles=[await new_role(app, ["users:read"]), tenant_role],
        permissions=["audit:read"],
        password_hash=await deps.hasher.hash(ACCOUNT_PASSWORD),
        email_verified=True,
    )
    await add_member(app, tenant_id, user_id)

    # when
    answer = await client.post(LOGIN, json=CREDENTIALS)

    # then
    assert answer.status_code == 200, answer.text
    async with deps.database.read() as session:
        held = (await authorization.grants(session, [user_id], tenant_id=tenant_id))[user_id]
    claimed = pyjwt.decode(answer.json()["access_token"], options={"verify_signature": False})
    assert {"users:read", "audit:read"} <= held.permissions
    assert held.permissions - {"users:read", "audit:read"}  # the tenant's role counted too
    assert sorted(claimed["permissions"]) == sorted(held.permissions)
