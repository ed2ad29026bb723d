"""The principal cache: ``me`` from memory, and every change that ends or narrows a caller's
access seen by the very next request, whoever made it (a route, a Core bulk statement, SQL
typed outside the app on PostgreSQL); a read older than a change never stored after it."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Uuid, bindparam, text
from sqlalchemy.engine import make_url

from identity.config import Settings
from identity.invalidation.cache import CallerRow, PrincipalCache
from identity.invalidation.channel import PostgresListener, cache_enabled
from identity.models import User
from identity.principal import Holding, RequestMeta
from identity.services.auth import access_token as access
from identity.services.auth.access_token import authenticate
from identity.services.auth.tenant_switch import switch_tenant
from tests.factories import (
    add_user,
    caller,
    login_token,
    new_role,
    new_tenant,
    register,
    root,
    tenant_member,
    token_for,
)
from tests.support.app import runtime
from tests.support.http import ME, bearer
from tests.support.statements import counting

PASSWORD = "SecurePassword123!"
USERS = "/api/v1/roles"


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(principal_cache=True)


def cache_of(app: FastAPI) -> PrincipalCache:
    return runtime(app).deps.principals


async def ready(app: FastAPI) -> None:
    """Until the cache may be used (PostgreSQL: the listener connected, own writes echoed)."""
    channel = runtime(app).invalidation
    if isinstance(channel, PostgresListener):
        async with asyncio.timeout(10):
            await channel.wait_usable()
    assert cache_of(app).usable


async def cached(app: FastAPI, client: httpx.AsyncClient, token: str, path: str = ME) -> None:
    """The token is accepted, and the next request reads neither the caller nor their
    permissions (``me`` reads nothing at all)."""
    await ready(app)
    assert (await client.get(path, headers=bearer(token))).status_code == 200
    with counting(app) as counted:
        response = await client.get(path, headers=bearer(token))
    assert response.status_code == 200, response.text
    if path == ME:
        assert counted.queries == [], counted.queries
    about_caller = [one for one in counted.queries if "revoked_at" in one or " held" in one]
    assert about_caller == [], about_caller


async def code_of(client: httpx.AsyncClient, token: str, path: str = ME) -> tuple[int, str]:
    response = await client.get(path, headers=bearer(token))
    body = response.json()
    return response.status_code, body["error"]["code"] if "error" in body else ""


async def test_me_is_answered_from_memory_and_stays_the_callers_own(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    first = await caller(app, email="first@example.com")
    second = await caller(app, email="second@example.com")

    await cached(app, client, first.token)
    await cached(app, client, second.token)

    for one, email in ((first, "first@example.com"), (second, "second@example.com")):
        body = (await client.get(ME, headers=one.headers)).json()
        assert (body["id"], body["email"]) == (str(one.id), email)


async def test_each_request_gets_its_own_account_object(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    deps = runtime(app).deps
    who = await caller(app)
    await cached(app, client, who.token)

    one = await authenticate(deps, access_token=who.token, meta=RequestMeta())
    one.user.first_name = "Changed in one request"
    other = await authenticate(deps, access_token=who.token, meta=RequestMeta())

    assert other.user is not one.user
    assert other.user.first_name is None
    async with deps.database.read() as session:  # attachable like a row read and released
        attached = await session.merge(other.user, load=False)
        assert attached.email == other.user.email


# Each change through the service or its route: (name, change, expected status, code).
Change = Callable[[FastAPI, httpx.AsyncClient, uuid.UUID, str], Awaitable[None]]


async def _logout(_app: FastAPI, client: httpx.AsyncClient, _user: uuid.UUID, token: str) -> None:
    assert (await client.post("/api/v1/auth/logout", headers=bearer(token))).status_code == 204


async def _revoke_all(
    _app: FastAPI, client: httpx.AsyncClient, _user: uuid.UUID, token: str
) -> None:
    response = await client.post("/v1/auth/revoke-all-sessions", headers=bearer(token))
    assert response.status_code == 200, response.text


async def _revoke_one(app: FastAPI, client: httpx.AsyncClient, user: uuid.UUID, token: str) -> None:
    deps = runtime(app).deps
    session_id = (await authenticate(deps, access_token=token, meta=RequestMeta())).session_id
    other = await token_for(app, user)
    response = await client.delete(f"/v1/auth/sessions/{session_id}", headers=bearer(other))
    assert response.status_code == 200, response.text


def _admin(method: str, path: str, body: dict[str, Any] | None) -> Change:
    async def change(app: FastAPI, client: httpx.AsyncClient, user: uuid.UUID, _t: str) -> None:
        admin = await root(app, "admin@example.com")
        sent = json.loads(json.dumps(body).replace("{id}", str(user)))
        response = await client.request(
            method, path.format(id=user), json=sent, headers=admin.headers
        )
        assert response.status_code < 300, response.text

    return change


async def _password(_app: FastAPI, client: httpx.AsyncClient, _user: uuid.UUID, _t: str) -> None:
    """Changed through another session: the others end."""
    token = await login_token(client, "user@example.com", PASSWORD)
    response = await client.post(
        "/api/v1/auth/change-password",
        json={
            "current_password": PASSWORD,
            "new_password": "Another-Secure-Password-2026!",
            "confirm_password": "Another-Secure-Password-2026!",
        },
        headers=bearer(token),
    )
    assert response.status_code == 200, response.text


def _orm(**values: Any) -> Change:
    async def change(app: FastAPI, _c: httpx.AsyncClient, user: uuid.UUID, _t: str) -> None:
        async with runtime(app).database.unit_of_work() as session:
            row = await session.get(User, user)
            assert row is not None
            for name, value in values.items():
                setattr(row, name, value)

    return change


async def _core_text(app: FastAPI, _c: httpx.AsyncClient, user: uuid.UUID, _t: str) -> None:
    async with runtime(app).database.engine.begin() as connection:
        await connection.execute(
            text("UPDATE sessions SET revoked_at = created_at WHERE user_id = :u").bindparams(
                bindparam("u", type_=Uuid())
            ),
            {"u": user},
        )


CHANGES = [
    pytest.param(_logout, 401, "TOKEN_INVALID", id="logout"),
    pytest.param(_revoke_all, 401, "TOKEN_INVALID", id="revoke all"),
    pytest.param(_revoke_one, 401, "TOKEN_INVALID", id="revoke one"),
    pytest.param(
        _admin("POST", "/api/v1/users/{id}/lock", {"reason": "r"}), 401, "TOKEN_INVALID", id="lock"
    ),
    pytest.param(
        _admin("PATCH", "/api/v1/users/{id}", {"is_active": False}),
        401,
        "TOKEN_INVALID",
        id="deactivate",
    ),
    pytest.param(
        _admin("PATCH", "/api/v1/users/{id}", {"status": "inactive"}),
        401,
        "TOKEN_INVALID",
        id="status",
    ),
    pytest.param(_admin("DELETE", "/api/v1/users/{id}", None), 401, "TOKEN_INVALID", id="delete"),
    pytest.param(
        _admin(
            "POST", "/api/v1/users/bulk-actions", {"user_ids": ["{id}"], "action": "deactivate"}
        ),
        401,
        "TOKEN_INVALID",
        id="bulk deactivate",
    ),
    pytest.param(_password, 401, "TOKEN_INVALID", id="password change"),
    pytest.param(
        _orm(must_change_password=True), 403, "PASSWORD_CHANGE_REQUIRED", id="must change"
    ),
    pytest.param(_core_text, 401, "TOKEN_INVALID", id="text UPDATE on the engine"),
]


@pytest.mark.parametrize(("change", "status", "code"), CHANGES)
async def test_a_change_is_seen_by_the_next_request(
    app: FastAPI, client: httpx.AsyncClient, change: Change, status: int, code: str
) -> None:
    await register(client, "user@example.com", password=PASSWORD)
    token = await login_token(client, "user@example.com", PASSWORD)
    user = (await authenticate(runtime(app).deps, access_token=token, meta=RequestMeta())).user_id
    await cached(app, client, token)

    await change(app, client, user, token)

    assert await code_of(client, token) == (status, code)


async def test_a_role_taken_away_is_seen_by_the_next_request(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    role = await new_role(app, ["roles:read"])
    user = await add_user(app, roles=[role])
    token = await token_for(app, user)
    await cached(app, client, token, USERS)
    admin = await root(app, "admin@example.com")

    response = await client.delete(f"/v1/admin/users/{user}/roles/{role}", headers=admin.headers)

    assert response.status_code < 300, response.text
    assert (await code_of(client, token, USERS))[0] == 403


async def test_a_permission_taken_from_a_role_is_seen_by_the_next_request(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    role = await new_role(app, ["roles:read"])
    user = await add_user(app, roles=[role])
    token = await token_for(app, user)
    await cached(app, client, token, USERS)

    async with runtime(app).database.engine.begin() as connection:
        await connection.execute(
            text("DELETE FROM role_permissions WHERE role_id = :r").bindparams(
                bindparam("r", type_=Uuid())
            ),
            {"r": role},
        )

    assert (await code_of(client, token, USERS))[0] == 403


async def test_tenant_changes_are_seen_by_the_next_request(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    deps = runtime(app).deps
    tenant = await new_tenant(app)
    other = await new_tenant(app)
    member = await tenant_member(app, tenant)
    switched = await tenant_member(app, other, "switched@example.com")
    admin = await root(app, "admin@example.com")
    await cached(app, client, member.token)
    await cached(app, client, switched.token)
    principal = await authenticate(deps, access_token=switched.token, meta=RequestMeta())

    # a switch refuses the session's earlier tokens
    await switch_tenant(deps, principal=principal, tenant_id=None)
    assert await code_of(client, switched.token) == (401, "TOKEN_INVALID")

    # a member removed through the route: their sessions end
    response = await client.delete(f"/v1/tenants/{tenant}/users/{member.id}", headers=admin.headers)
    assert response.status_code < 300, response.text
    assert await code_of(client, member.token) == (401, "TOKEN_INVALID")

    # a membership deleted by a statement: the session acts in no tenant
    again = await tenant_member(app, other, "again@example.com")
    await cached(app, client, again.token)
    async with deps.database.unit_of_work() as session:
        await session.execute(
            text("DELETE FROM tenant_members WHERE user_id = :u").bindparams(
                bindparam("u", type_=Uuid())
            ),
            {"u": again.id},
        )
    found = await authenticate(deps, access_token=again.token, meta=RequestMeta())
    assert found.tenant_id is None

    # a tenant deactivated refuses its sessions
    third = await tenant_member(app, other, "third@example.com")
    await cached(app, client, third.token)
    async with deps.database.unit_of_work() as session:
        await session.execute(
            text("UPDATE tenants SET is_active = false WHERE id = :t").bindparams(
                bindparam("t", type_=Uuid())
            ),
            {"t": other},
        )
    assert await code_of(client, third.token) == (401, "TOKEN_INVALID")


@pytest.mark.usefixtures("client")
async def test_a_read_older_than_a_change_is_not_stored(app: FastAPI) -> None:
    deps = runtime(app).deps
    who = await caller(app)
    await ready(app)
    cache = cache_of(app)
    session_id = (await authenticate(deps, access_token=who.token, meta=RequestMeta())).session_id
    cache.flush()

    # a reader read the old state, then a change was committed and its invalidation arrived
    generation = cache.generation
    async with deps.database.read() as session:
        row = (
            await session.execute(access._CALLER, {"session_id": session_id, "user_id": who.id})
        ).one()
    cache.invalidate(f"session:{session_id}")
    cache.store(generation, session_id, CallerRow(*row))
    cache.store_holding(generation, who.id, None, Holding())

    assert cache.caller(session_id, who.id) is None
    assert cache.holding(who.id, None) is None


# PostgreSQL: the triggers, not the app's hooks, are what invalidates.


def _asyncpg_dsn(app: FastAPI) -> str:
    url = make_url(runtime(app).settings.database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def _listener(app: FastAPI) -> PostgresListener:
    channel = runtime(app).invalidation
    assert isinstance(channel, PostgresListener)
    await ready(app)
    return channel


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_sql_outside_the_app_is_heard_through_the_triggers(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    listener = await _listener(app)
    who = await caller(app)
    await cached(app, client, who.token)
    outside = await asyncpg.connect(_asyncpg_dsn(app))
    try:
        await outside.execute("UPDATE users SET is_active = false")
        async with asyncio.timeout(10):
            await listener.settle()
        assert await code_of(client, who.token) == (401, "TOKEN_INVALID")

        # the sessions' use (every refresh) is not a change
        again = await caller(app, email="again@example.com")
        await cached(app, client, again.token)
        await outside.execute("UPDATE sessions SET last_used_at = now()")
        async with asyncio.timeout(10):
            await listener.settle()
        with counting(app) as counted:
            assert (await client.get(ME, headers=again.headers)).status_code == 200
        assert counted.queries == []
    finally:
        await outside.close()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_the_cache_is_bypassed_while_the_listener_is_down(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    listener = await _listener(app)
    who = await caller(app)
    await cached(app, client, who.token)
    pid = listener.backend_pid
    outside = await asyncpg.connect(_asyncpg_dsn(app))
    try:
        # the listener's connection ends (waited for); a revocation made meanwhile by SQL
        # outside the app is never notified to it
        assert await outside.fetchval("SELECT pg_terminate_backend($1, 5000)", pid)
        async with asyncio.timeout(5):
            while cache_of(app).online:  # noqa: ASYNC110 (set by the listener task)
                await asyncio.sleep(0.01)
        await outside.execute("UPDATE sessions SET revoked_at = now()")

        assert await code_of(client, who.token) == (401, "TOKEN_INVALID")
    finally:
        await outside.close()

    # reconnected: everything read before is dropped, and the cache serves again
    again = await caller(app, email="again@example.com")
    async with asyncio.timeout(10):
        await listener.wait_usable()
    assert listener.backend_pid not in (None, pid)
    await cached(app, client, again.token)


def test_sqlite_keeps_a_cache_only_in_a_process_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    sqlite = Settings(env="test", database_url="sqlite+aiosqlite:///identity.db")
    postgres = Settings(env="test", database_url="postgresql+asyncpg://u@localhost/identity")
    assert cache_enabled(sqlite)
    assert cache_enabled(postgres)
    assert not cache_enabled(Settings(env="test", principal_cache=False))

    # a worker of ``identity serve --workers N`` is a child process: no SQLite cache there
    monkeypatch.setattr(multiprocessing, "parent_process", lambda: object())
    assert not cache_enabled(sqlite)
    assert cache_enabled(postgres)
