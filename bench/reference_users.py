"""A lean reference for the 100-user page (not part of the product): what plain Starlette, one
asyncpg pool and orjson do with the same statements and the same JSON as ``GET
/api/v1/users``.

The SQL is ours, compiled once from the product's statement builders (the count, the page
forwards or, past the middle, backwards from the end, and everyone's grants in one
statement); the page's answer has every field of ours in the same order. What it leaves out
is exactly what the product adds around the statements: authentication and the caller's
permissions, FastAPI's parameter checks and SQLAlchemy. It counts on every request (the
product reuses a recent count: ``users_admin.counts``).

    IDENTITY_REFERENCE_DSN=postgresql://... uvicorn bench.reference_users:app
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from identity.models import User
from identity.permissions import SUPERADMIN
from identity.services.authorization import _grants_statement
from identity.services.users_admin.queries import _ordered, listed_columns
from identity.services.users_admin.shapes import UserQuery

try:
    import orjson

    def dumps(value: Any) -> bytes:
        return orjson.dumps(value)

except ImportError:  # pragma: no cover - the bench says so when it starts
    import json

    def dumps(value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":")).encode()


class Sql:
    """A statement as PostgreSQL text with asyncpg's $n parameters, and how to fill them."""

    def __init__(self, statement: Any) -> None:
        compiled = statement.compile(dialect=asyncpg_dialect.dialect())
        self.text = str(compiled)
        self.names = list(compiled.positiontup or [])
        self.defaults = dict(compiled.params)

    def arguments(self, **values: Any) -> list[Any]:
        given = {**self.defaults, **values}
        return [given[name] for name in self.names]


_offset = bindparam("offset", type_=Integer)
_limit = bindparam("limit", type_=Integer)
COUNT = Sql(select(func.count()).select_from(User))
FORWARD = Sql(
    _ordered(select(*listed_columns("postgresql")), UserQuery()).offset(_offset).limit(_limit)
)
BACKWARD = Sql(
    _ordered(select(*listed_columns("postgresql")), UserQuery(), reverse=True)
    .offset(_offset)
    .limit(_limit)
)
GRANTS = Sql(_grants_statement("postgresql"))
pool: asyncpg.Pool | None = None


def when(moment: datetime | None) -> str | None:
    return moment.isoformat()[:-6] + "Z" if moment else None


def grants(rows: list[asyncpg.Record]) -> dict[Any, tuple[list[str], list[str]]]:
    """Each user's (effective, direct) permission names, sorted, as the product folds them."""
    roles_of: dict[Any, set[Any]] = defaultdict(set)
    direct: dict[Any, set[str]] = defaultdict(set)
    of_role: dict[Any, set[str]] = defaultdict(set)
    everything: set[Any] = set()
    every_name: set[str] = set()
    for user_id, role_id, role_name, permission, role_tenant in rows:
        if user_id is None and role_id is None:
            every_name.add(permission)
        elif user_id is None:
            of_role[role_id].add(permission)
        elif role_id is None:
            direct[user_id].add(permission)
        else:
            roles_of[user_id].add(role_id)
            if role_tenant is None and role_name == SUPERADMIN:
                everything.add(user_id)
    folded: dict[Any, tuple[list[str], list[str]]] = {}
    for user_id in set(roles_of) | set(direct):
        names = set(direct[user_id])
        for role_id in roles_of[user_id]:
            names |= of_role[role_id]
        if user_id in everything:
            names = every_name
        folded[user_id] = (sorted(names), sorted(direct[user_id]))
    return folded


async def users_page(request: Request) -> Response:
    query = request.query_params
    size = int(query.get("limit") or query.get("size", 20))
    offset = int(query["skip"]) if "skip" in query else (int(query.get("page", 1)) - 1) * size
    assert pool is not None
    async with pool.acquire() as connection:
        total = await connection.fetchval(COUNT.text)
        if offset > total // 2:
            left = total - offset
            rows = []
            if left > 0:
                window = BACKWARD.arguments(offset=max(left - size, 0), limit=min(size, left))
                rows = list(reversed(await connection.fetch(BACKWARD.text, *window)))
        else:
            rows = await connection.fetch(
                FORWARD.text, *FORWARD.arguments(offset=offset, limit=size)
            )
        ids = [row[0] for row in rows]
        found = await connection.fetch(GRANTS.text, *GRANTS.arguments(ids=ids, tid=None))
        held = grants(found)
    nothing: tuple[list[str], list[str]] = ([], [])
    items = []
    for one in rows:
        (
            user_id,
            email,
            _email_key,
            username,
            first_name,
            last_name,
            display_name,
            organization,
            tenant,
            plan,
            avatar,
            role,
            status,
            is_active,
            verified,
            verified_at,
            last_login,
            last_login_ip,
            locked_at,
            locked_until,
            password_changed_at,
            must_change,
            created_at,
            updated_at,
        ) = one
        permissions, direct = held.get(user_id, nothing)
        key = str(user_id)
        items.append(
            {
                "id": key,
                "user_id": key,
                "email": email,
                "username": username,
                "first_name": first_name,
                "last_name": last_name,
                "name": display_name or " ".join(part for part in (first_name, last_name) if part),
                "display_name": display_name,
                "organization": organization,
                "organization_id": str(tenant) if tenant else None,
                "subscription_plan": plan,
                "avatar_url": avatar,
                "role": role,
                "permissions": permissions,
                "status": status,
                "is_active": is_active,
                "is_superuser": role == SUPERADMIN,
                "email_verified": verified,
                "is_verified": verified,
                "is_email_verified": verified,
                "email_verified_at": when(verified_at),
                "last_login": when(last_login),
                "last_login_ip": last_login_ip,
                "locked_until": when(locked_until),
                "password_changed_at": when(password_changed_at),
                "must_change_password": must_change,
                "created_at": when(created_at),
                "updated_at": when(updated_at),
                "direct_permissions": direct,
                "locked_at": when(locked_at),
            }
        )
    body = {
        "items": items,
        "total": total,
        "page": offset // size + 1,
        "size": size,
        "pages": math.ceil(total / size),
        "skip": offset,
        "limit": size,
    }
    return Response(dumps(body), media_type="application/json")


async def _no_reset(_connection: asyncpg.Connection) -> None:
    """Nothing is left open between requests: no reset round trip on release."""


@asynccontextmanager
async def lifespan(_app: Starlette) -> AsyncIterator[None]:
    global pool
    pool = await asyncpg.create_pool(
        os.environ["IDENTITY_REFERENCE_DSN"],
        min_size=4,
        max_size=10,
        max_queries=2**31,
        max_inactive_connection_lifetime=0,
        reset=_no_reset,
    )
    try:
        yield
    finally:
        await pool.close()


app = Starlette(routes=[Route("/api/v1/users", users_page)], lifespan=lifespan)
