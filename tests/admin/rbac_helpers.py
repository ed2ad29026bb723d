"""What the roles, permissions and settings tests share: accounts and roles made directly in
the database (no password hashing, so tables of cases stay fast), calls, and outcomes."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import httpx
from fastapi import FastAPI
from sqlalchemy import event, select
from sqlmodel import col

from identity.models import AuditEvent, PermissionRow, Role, RolePermission, User, UserRole
from identity.permissions import Permission
from identity.principal import RequestMeta
from identity.runtime import Runtime
from identity.services.tokens import access_token, open_session

_numbers = itertools.count()


def runtime(app: FastAPI) -> Runtime:
    return cast(Runtime, app.state.runtime)


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


@dataclass(frozen=True, slots=True)
class Caller:
    id: uuid.UUID
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


async def new_role(
    app: FastAPI, permissions: Iterable[str] = (), *, name: str | None = None
) -> uuid.UUID:
    """A global custom role granting ``permissions``."""
    name = name or f"role-{next(_numbers)}"
    now = runtime(app).clock.now()
    async with runtime(app).database.unit_of_work() as session:
        role = Role(name=name, created_at=now, updated_at=now)
        session.add(role)
        await session.flush()
        wanted = [str(one) for one in permissions]
        if wanted:
            ids = await session.scalars(
                select(col(PermissionRow.id)).where(col(PermissionRow.name).in_(wanted))
            )
            session.add_all(RolePermission(role_id=role.id, permission_id=one) for one in ids)
        return role.id


async def new_permission(app: FastAPI, name: str) -> uuid.UUID:
    """A custom (not built-in) permission."""
    now = runtime(app).clock.now()
    resource, _, action = name.partition(":")
    async with runtime(app).database.unit_of_work() as session:
        row = PermissionRow(
            name=name, resource=resource, action=action, created_at=now, updated_at=now
        )
        session.add(row)
        await session.flush()
        return row.id


async def new_user(
    app: FastAPI, *, role: str = "user", roles: Iterable[uuid.UUID] = (), email: str | None = None
) -> uuid.UUID:
    """An account inserted directly (no password) holding ``role`` and the extra ``roles``."""
    email = email or f"user{next(_numbers)}@example.com"
    now = runtime(app).clock.now()
    async with runtime(app).database.unit_of_work() as session:
        user = User(email=email, email_key=email.lower(), role=role, created_at=now, updated_at=now)
        session.add(user)
        await session.flush()
        session.add_all(UserRole(user_id=user.id, role_id=one, created_at=now) for one in roles)
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


async def caller(
    app: FastAPI,
    *,
    role: str = "user",
    permissions: Iterable[str] | None = None,
    email: str | None = None,
) -> Caller:
    """An account with a token; ``permissions`` come through a custom role of its own."""
    extra = [await new_role(app, permissions)] if permissions is not None else []
    user_id = await new_user(app, role=role, roles=extra, email=email)
    return Caller(user_id, await token_for(app, user_id))


@dataclass(frozen=True, slots=True)
class Matrix:
    """The callers of an access-matrix case for one permission."""

    plain: Caller
    without: Caller
    holder: Caller


async def matrix(app: FastAPI, permission: Permission, also: Iterable[str] = ()) -> Matrix:
    """A plain user; an administrator holding every permission but ``permission``; one
    holding just ``permission`` (and ``also``: what the targets grant, which changing them
    needs besides, by the no-escalation rule)."""
    return Matrix(
        plain=await caller(app),
        without=await caller(app, permissions=[p for p in Permission if p is not permission]),
        holder=await caller(app, permissions=[permission, *also]),
    )


async def superadmin(app: FastAPI, email: str | None = None) -> Caller:
    return await caller(app, role="superadmin", email=email)


async def role_id(app: FastAPI, name: str) -> uuid.UUID:
    async with runtime(app).database.read() as session:
        found = await session.scalar(select(col(Role.id)).where(col(Role.name) == name))
    assert found is not None, name
    return found


async def permission_id(app: FastAPI, name: str) -> uuid.UUID:
    async with runtime(app).database.read() as session:
        found = await session.scalar(
            select(col(PermissionRow.id)).where(col(PermissionRow.name) == name)
        )
    assert found is not None, name
    return found


async def audit_events(app: FastAPI, event_type: str) -> list[AuditEvent]:
    async with runtime(app).database.read() as session:
        rows = await session.scalars(
            select(AuditEvent)
            .where(col(AuditEvent.event_type) == event_type)
            .order_by(col(AuditEvent.created_at))
        )
        return list(rows.all())


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
) -> dict[str, Any]:
    """The whole GraphQL response body (``data`` and ``errors``)."""
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=bearer(token)
    )
    assert response.status_code == 200, response.text
    return cast(dict[str, Any], response.json())


def error_code(body: dict[str, Any]) -> str | None:
    """The ``extensions.code`` of a GraphQL response's first error, if any."""
    errors = body.get("errors")
    if not errors:
        return None
    return cast(str | None, errors[0].get("extensions", {}).get("code"))


@contextmanager
def counting_statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL statements the app runs inside the block."""
    statements: list[str] = []
    engine = runtime(app).database.engine.sync_engine

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


# --- access matrices ---------------------------------------------------------------------------


# What the targets' role and permission grant: changing or deleting them needs holding it.
TARGETS_GRANT = ("reports:read", "reports:custom")


@dataclass(frozen=True, slots=True)
class Targets:
    """What the operations of a matrix act on, made before the callers try them."""

    role: uuid.UUID  # custom, grants reports:read
    empty_role: uuid.UUID  # custom, grants nothing, held by ``user``
    spare_role: uuid.UUID  # custom, grants nothing, held by nobody
    user: uuid.UUID
    permission: uuid.UUID  # custom
    builtin: uuid.UUID  # reports:read
    grantable: uuid.UUID  # the permission the matrix is about: its holder may grant it

    def fill(self, value: Any) -> Any:
        """``value`` with "{role}", "{user}", ... replaced by the targets' ids."""
        if isinstance(value, str):
            for name in self.__slots__:
                value = value.replace("{" + name + "}", str(getattr(self, name)))
            return value
        if isinstance(value, list):
            return [self.fill(one) for one in value]
        if isinstance(value, dict):
            return {key: self.fill(one) for key, one in value.items()}
        return value


async def targets(app: FastAPI, permission: Permission) -> Targets:
    empty_role = await new_role(app, name="empty")
    return Targets(
        role=await new_role(app, ["reports:read"], name="target"),
        empty_role=empty_role,
        spare_role=await new_role(app, name="spare"),
        user=await new_user(app, roles=[empty_role], email="target@example.com"),
        permission=await new_permission(app, "reports:custom"),
        builtin=await permission_id(app, "reports:read"),
        grantable=await permission_id(app, permission.value),
    )


@dataclass(frozen=True, slots=True)
class Rest:
    """A REST operation of a matrix: who may call it and what success answers."""

    method: str
    path: str
    permission: Permission
    body: dict[str, Any] | None = None
    status: int = 200

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


async def check_rest_matrix(app: FastAPI, client: httpx.AsyncClient, operation: Rest) -> Any:
    """Anonymous: 401; plain user and administrator without the permission: 403; with: the
    success status. Returns the successful answer's JSON."""
    world = await targets(app, operation.permission)
    callers = await matrix(app, operation.permission, also=TARGETS_GRANT)
    path = world.fill(operation.path)
    body = world.fill(operation.body)

    async def call(who: Caller | None) -> httpx.Response:
        headers = who.headers if who else {}
        return await client.request(operation.method, path, json=body, headers=headers)

    for who, status, code in (
        (None, 401, "AUTHENTICATION_REQUIRED"),
        (callers.plain, 403, "PERMISSION_DENIED"),
        (callers.without, 403, "PERMISSION_DENIED"),
    ):
        response = await call(who)
        assert response.status_code == status, (who, response.text)
        assert response.json()["error"]["code"] == code, response.text
    response = await call(callers.holder)
    assert response.status_code == operation.status, response.text
    return response.json()


@dataclass(frozen=True, slots=True)
class Gql:
    """A GraphQL operation of a matrix; ``typename`` is a mutation's successful result."""

    name: str
    document: str
    permission: Permission
    variables: dict[str, Any]
    field: str
    typename: str | None = None

    def __str__(self) -> str:
        return self.name


async def check_gql_matrix(
    app: FastAPI, client: httpx.AsyncClient, operation: Gql
) -> dict[str, Any]:
    """Anonymous: AUTHENTICATION_REQUIRED; plain user and administrator without the
    permission: PERMISSION_DENIED; with it: data. Returns the successful field's value."""
    world = await targets(app, operation.permission)
    callers = await matrix(app, operation.permission, also=TARGETS_GRANT)
    variables = world.fill(operation.variables)
    for who, code in (
        (None, "AUTHENTICATION_REQUIRED"),
        (callers.plain, "PERMISSION_DENIED"),
        (callers.without, "PERMISSION_DENIED"),
    ):
        body = await gql(client, operation.document, variables, token=who.token if who else None)
        assert error_code(body) == code, (who, body)
    body = await gql(client, operation.document, variables, token=callers.holder.token)
    assert "errors" not in body, body
    result = body["data"][operation.field]
    assert result is not None, body
    if operation.typename is not None:
        assert result["__typename"] == operation.typename, result
    return cast(dict[str, Any], result) if isinstance(result, dict) else {"items": result}
