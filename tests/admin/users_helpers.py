"""What the users-administration tests share: accounts, roles and tokens made directly in the
database (no password hashing, so a table of cases stays fast), calls, and outcomes."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, cast

import httpx
from fastapi import FastAPI
from sqlalchemy import event, select
from sqlmodel import col

from identity.models import AuditEvent, PermissionRow, Role, RolePermission, User, UserPermission
from identity.principal import RequestMeta
from identity.runtime import Runtime
from identity.services.tokens import access_token, open_session

PASSWORD = "Admin-Password-2026!"
_numbers = itertools.count()


def runtime(app: FastAPI) -> Runtime:
    return cast(Runtime, app.state.runtime)


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


async def add_role(app: FastAPI, permissions: Iterable[str], name: str | None = None) -> str:
    """A global custom role granting ``permissions``; returns its name."""
    name = name or f"role-{next(_numbers)}"
    now = runtime(app).clock.now()
    async with runtime(app).database.unit_of_work() as session:
        role = Role(name=name, created_at=now, updated_at=now)
        session.add(role)
        await session.flush()
        ids = await session.scalars(
            select(col(PermissionRow.id)).where(col(PermissionRow.name).in_(list(permissions)))
        )
        session.add_all(RolePermission(role_id=role.id, permission_id=one) for one in ids)
    return name


async def add_user(
    app: FastAPI,
    email: str | None = None,
    *,
    role: str = "user",
    permissions: Iterable[str] = (),
    created_at: datetime | None = None,
    **fields: Any,
) -> uuid.UUID:
    """An account inserted directly (no password), with optional direct grants."""
    email = email or f"user{next(_numbers)}@example.com"
    now = created_at or runtime(app).clock.now()
    async with runtime(app).database.unit_of_work() as session:
        username = fields.pop("username", None)
        user = User(
            email=email,
            email_key=email.lower(),
            username=username,
            username_key=username.lower() if username else None,
            role=role,
            created_at=now,
            updated_at=now,
            **fields,
        )
        session.add(user)
        await session.flush()
        wanted = list(permissions)
        if wanted:
            ids = await session.scalars(
                select(col(PermissionRow.id)).where(col(PermissionRow.name).in_(wanted))
            )
            session.add_all(
                UserPermission(user_id=user.id, permission_id=one, created_at=now) for one in ids
            )
        return user.id


async def token_for(app: FastAPI, user_id: uuid.UUID) -> str:
    """An access token of a new session of the account, as a login would issue."""
    deps = runtime(app).deps
    async with deps.database.unit_of_work() as session:
        user = await session.get(User, user_id)
        assert user is not None
        auth_session = open_session(
            session, deps, user=user, meta=RequestMeta(), device_info=None, auth_method="test"
        )
    return (await access_token(deps, user=user, auth_session=auth_session)).token


async def account(
    app: FastAPI, *, role: str = "user", permissions: Iterable[str] = (), email: str | None = None
) -> tuple[uuid.UUID, str]:
    """A new account and an access token for it."""
    user_id = await add_user(app, email, role=role, permissions=permissions)
    return user_id, await token_for(app, user_id)


async def superadmin(app: FastAPI, email: str = "root@example.com") -> tuple[uuid.UUID, str]:
    return await account(app, role="superadmin", email=email)


async def user_row(app: FastAPI, user_id: uuid.UUID) -> User | None:
    async with runtime(app).database.read() as session:
        return await session.get(User, user_id)


async def audit_events(app: FastAPI, event_type: str | None = None) -> list[AuditEvent]:
    async with runtime(app).database.read() as session:
        statement = select(AuditEvent).order_by(col(AuditEvent.created_at))
        if event_type:
            statement = statement.where(col(AuditEvent.event_type) == event_type)
        return list((await session.scalars(statement)).all())


async def all_permissions(app: FastAPI) -> set[str]:
    async with runtime(app).database.read() as session:
        return set((await session.scalars(select(col(PermissionRow.name)))).all())


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=bearer(token)
    )
    assert response.status_code == 200, response.text
    return cast(dict[str, Any], response.json())


def graphql_outcome(body: dict[str, Any], field: str) -> str:
    """An error's code (top-level or a union member), else the result's ``__typename``."""
    if body.get("errors"):
        return str(body["errors"][0].get("extensions", {}).get("code", body["errors"][0]))
    result = body["data"][field]
    if isinstance(result, dict) and result.get("code"):
        return str(result["code"])
    if isinstance(result, dict) and "__typename" in result:
        return str(result["__typename"])
    return "ok"


class StatementCounter:
    """SQL statements the app's engine runs while counting (``before_cursor_execute``)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    @property
    def queries(self) -> list[str]:
        """Statements but transaction control (SQLite's reads send their own BEGIN)."""
        control = ("BEGIN", "COMMIT", "ROLLBACK")
        return [one for one in self.statements if not one.lstrip().upper().startswith(control)]

    @property
    def writes(self) -> list[str]:
        verbs = ("INSERT", "UPDATE", "DELETE")
        return [one for one in self.statements if one.lstrip().upper().startswith(verbs)]


@contextmanager
def counting(app: FastAPI) -> Iterator[StatementCounter]:
    engine = runtime(app).database.engine.sync_engine
    counter = StatementCounter()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)


def minutes_from(moment: str, now: datetime) -> float:
    return (datetime.fromisoformat(moment.replace("Z", "+00:00")) - now) / timedelta(minutes=1)
