"""Issue 10, item 28 (ASVS V15.4.2): administrative writes check the caller's permissions in
the transaction of the change, so a revocation committed first stops a write in flight.

The interleaving is made real, not mocked: the request authenticates and passes its early
permission check, then, at the moment its write transaction begins, another transaction
takes the caller's permission away and commits. The write must then be refused. SQLite and
PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Connection, delete, event, select
from sqlalchemy.util import await_only
from sqlmodel import col

from identity.db import WRITE_OPTION, _begin_sqlite
from identity.models import PermissionRow, Role, User, UserRole
from identity.permissions import Permission
from tests.factories import Caller, add_user, caller, new_permission, new_role
from tests.support.app import runtime
from tests.support.graphql import gql
from tests.support.http import assert_error


@contextmanager
def revoked_when_the_write_begins(app: FastAPI, who: Caller) -> Iterator[list[bool]]:
    """Take every role ``who`` holds besides ``user`` away, committed, just before the next
    write transaction begins (after the request's early checks). The list says whether it
    happened."""
    engine = runtime(app).database.engine.sync_engine
    fired: list[bool] = []

    async def revoke() -> None:
        async with runtime(app).database.unit_of_work() as session:
            await session.execute(delete(UserRole).where(col(UserRole.user_id) == who.id))

    def on_begin(connection: Connection) -> None:
        if fired or not connection.get_execution_options().get(WRITE_OPTION, False):
            return
        fired.append(True)
        await_only(revoke())

    # Before SQLite's BEGIN IMMEDIATE of the write, so the revoking transaction can run:
    # listeners run in the order they were added.
    sqlite = event.contains(engine, "begin", _begin_sqlite)
    if sqlite:
        event.remove(engine, "begin", _begin_sqlite)
    event.listen(engine, "begin", on_begin)
    if sqlite:
        event.listen(engine, "begin", _begin_sqlite)
    try:
        yield fired
    finally:
        event.remove(engine, "begin", on_begin)


async def first_name(app: FastAPI, user_id: uuid.UUID) -> str | None:
    async with runtime(app).database.read() as session:
        user = await session.get(User, user_id)
    assert user is not None
    return user.first_name


async def unchanged(app: FastAPI, target: uuid.UUID) -> bool:
    """Nothing any of the writes below would do happened."""
    async with runtime(app).database.read() as session:
        user = await session.get(User, target)
        roles = set((await session.scalars(select(col(Role.name)))).all())
        add_user = await session.scalar(
            select(col(User.id)).where(col(User.email_key) == "new@example.com")
        )
        permissions = set((await session.scalars(select(col(PermissionRow.name)))).all())
        held = (
            await session.scalars(
                select(col(UserRole.role_id)).where(col(UserRole.user_id) == target)
            )
        ).all()
    return (
        user is not None
        and user.first_name is None
        and user.is_active
        and user.status != "locked"
        and {"spare", "fresh", "renamed"} & roles == {"spare"}
        and add_user is None
        and "reports:custom" in permissions
        and "invoices:approve" not in permissions
        and not held
    )


# (name, permission revoked, method, path, body); "{user}", "{role}", "{perm}" are filled in.
WRITES = [
    ("update user", Permission.USERS_WRITE, "PATCH", "/api/v1/users/{user}", {"first_name": "X"}),
    ("update user (003)", Permission.USERS_WRITE, "PUT", "/v1/users/{user}", {"first_name": "X"}),
    ("lock user", Permission.USERS_LOCK, "POST", "/api/v1/users/{user}/lock", {"reason": "r"}),
    ("delete user", Permission.USERS_DELETE, "DELETE", "/api/v1/users/{user}", None),
    (
        "bulk",
        Permission.USERS_WRITE,
        "POST",
        "/api/v1/users/bulk-actions",
        {"user_ids": ["{user}"], "action": "deactivate"},
    ),
    (
        "create user",
        Permission.USERS_WRITE,
        "POST",
        "/api/v1/users",
        {"email": "new@example.com", "password": "Unguessable-Passphrase-42"},
    ),
    ("create role", Permission.ROLES_WRITE, "POST", "/api/v1/roles", {"name": "fresh"}),
    ("update role", Permission.ROLES_WRITE, "PUT", "/v1/admin/roles/{role}", {"name": "renamed"}),
    ("delete role", Permission.ROLES_WRITE, "DELETE", "/api/v1/roles/{role}", None),
    (
        "grant to role",
        Permission.ROLES_WRITE,
        "POST",
        "/v1/admin/roles/{role}/permissions",
        {"permission_id": "{perm}"},
    ),
    (
        "assign role",
        Permission.USERS_WRITE,
        "POST",
        "/v1/admin/users/{user}/roles",
        {"role_id": "{role}"},
    ),
    (
        "create permission",
        Permission.PERMISSIONS_WRITE,
        "POST",
        "/api/v1/permissions",
        {"name": "invoices:approve"},
    ),
    (
        "delete permission",
        Permission.PERMISSIONS_WRITE,
        "DELETE",
        "/api/v1/permissions/{perm}",
        None,
    ),
]


def _fill(value: Any, ids: dict[str, uuid.UUID]) -> Any:
    if isinstance(value, str):
        for name, one in ids.items():
            value = value.replace("{" + name + "}", str(one))
        return value
    if isinstance(value, list):
        return [_fill(one, ids) for one in value]
    if isinstance(value, dict):
        return {key: _fill(one, ids) for key, one in value.items()}
    return value


@pytest.mark.parametrize(
    ("name", "permission", "method", "path", "body"), WRITES, ids=[case[0] for case in WRITES]
)
async def test_a_revocation_committed_first_stops_the_write(
    app: FastAPI,
    client: httpx.AsyncClient,
    name: str,
    permission: Permission,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    # given: an administrator holding the permission (and what the targets grant)
    custom = await new_permission(app, "reports:custom")
    role = await new_role(app, name="spare")
    target = await add_user(app, email="target@example.com")
    admin = await caller(app, permissions=[permission.value, "reports:custom"])
    ids = {"user": target, "role": role, "perm": custom}

    # when: the permission is revoked, and committed, while the request is in flight
    with revoked_when_the_write_begins(app, admin) as fired:
        response = await client.request(
            method, _fill(path, ids), json=_fill(body, ids), headers=admin.headers
        )

    # then
    assert fired == [True]
    assert_error(response, 403, "PERMISSION_DENIED")
    assert await unchanged(app, target)


async def test_without_a_revocation_the_same_writes_go_through(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    target = await add_user(app, email="target@example.com")
    admin = await caller(app, permissions=[Permission.USERS_WRITE.value])

    # when
    response = await client.patch(
        f"/api/v1/users/{target}", json={"first_name": "X"}, headers=admin.headers
    )

    # then
    assert response.status_code == 200, response.text
    assert await first_name(app, target) == "X"


UPDATE_USER = """
mutation($id: ID!, $input: UpdateUserInput!) {
  updateUser(id: $id, input: $input) { __typename ... on Error { code } }
}
"""


async def test_graphql_writes_check_inside_the_transaction_too(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    target = await add_user(app, email="target@example.com")
    admin = await caller(app, permissions=[Permission.USERS_WRITE.value])

    # when
    with revoked_when_the_write_begins(app, admin) as fired:
        body = await gql(
            client,
            UPDATE_USER,
            {"id": str(target), "input": {"firstName": "X"}},
            token=admin.token,
        )

    # then
    assert fired == [True]
    assert body["data"]["updateUser"] == {
        "__typename": "PermissionDenied",
        "code": "PERMISSION_DENIED",
    }
    assert await first_name(app, target) is None
