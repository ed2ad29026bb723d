"""Reading accounts for ``users:read``: a filtered, ordered page with its total, one account,
and the grants of accounts already read."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, DateTime, Select, Table, and_, func, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.db import dialect_name
from identity.errors import NotFound
from identity.models import Role, User
from identity.models.types import UTCDateTime
from identity.permissions import USER, Permission
from identity.principal import Principal
from identity.services import authorization, tenancy
from identity.services._kit import PageRequest
from identity.services.authorization import Grants
from identity.services.deps import Deps
from identity.services.held import global_role_named, holds_any
from identity.services.text_rules import search_term
from identity.services.users_admin import counts
from identity.services.users_admin.act import _status
from identity.services.users_admin.shapes import (
    MAX_PAGE_SIZE,
    SortField,
    SortOrder,
    TotalCount,
    UserPage,
    UserPosition,
    UserQuery,
    UserRow,
)

_USERS: Table = User.__table__  # type: ignore[attr-defined]
_ROLES: Table = Role.__table__  # type: ignore[attr-defined]
_ROLE_NAME = (
    select(_ROLES.c.name).where(_ROLES.c.id == _USERS.c.role_id).scalar_subquery().label("role")
)
_SORTED: dict[SortField, Any] = {
    SortField.CREATED_AT: _USERS.c.created_at,
    SortField.EMAIL: _USERS.c.email_key,
    SortField.LAST_LOGIN: _USERS.c.last_login,
}


@cache
def listed_columns(dialect: str) -> tuple[Any, ...]:
    """``UserRow``'s columns, as table columns (no ORM entity: the statement runs on Core's
    path). asyncpg returns timestamptz as aware UTC datetimes already, so on PostgreSQL the
    times skip ``UTCDateTime``'s conversion (a Python call per value, 700 a page)."""

    def column(name: str) -> Any:
        if name == "role":
            return _ROLE_NAME
        found = _USERS.c[name]
        if dialect == "postgresql" and isinstance(found.type, UTCDateTime):
            return type_coerce(found, DateTime(timezone=True)).label(name)
        return found

    return tuple(column(name) for name in UserRow._fields)


def _conditions(query: UserQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    term = search_term(query.search)
    if term:
        full_name = (
            func.coalesce(col(User.first_name), "") + " " + func.coalesce(col(User.last_name), "")
        )
        searched = (
            col(User.email_key),
            col(User.username_key),
            func.lower(full_name),
            func.lower(col(User.display_name)),
        )
        conditions.append(or_(*(column.contains(term, autoescape=True) for column in searched)))
    if query.role:
        conditions.append(holds_any(select(col(Role.id)).where(col(Role.name) == query.role)))
    if query.status:
        conditions.append(col(User.status) == _status(query.status))
    if query.is_active is not None:
        conditions.append(col(User.is_active).is_(query.is_active))
    if query.admins_only:
        conditions.append(col(User.role_id) != global_role_named(USER).scalar_subquery())
    return conditions


def _ordered(statement: Select[Any], query: UserQuery, *, reverse: bool = False) -> Select[Any]:
    """``query``'s order (``reverse``: backwards, never-logged-in accounts then first)."""
    column = _SORTED[query.sort]
    descending = (query.order == SortOrder.DESC) != reverse
    first = column.desc() if descending else column.asc()
    if query.sort == SortField.LAST_LOGIN:
        # never-logged-in accounts last, whichever the order
        first = first.nulls_first() if reverse else first.nulls_last()
    tie = _USERS.c.id.desc() if descending else _USERS.c.id.asc()
    return statement.order_by(first, tie)


def _after(query: UserQuery, position: UserPosition) -> ColumnElement[bool]:
    """The accounts that come after ``position`` in ``query``'s order (ties broken by id;
    accounts without a last login come last either way)."""
    column = _SORTED[query.sort]
    descending = query.order == SortOrder.DESC
    user_id = _USERS.c.id
    beyond_id = user_id < position.id if descending else user_id > position.id
    if position.value is None:
        return and_(column.is_(None), beyond_id)
    beyond = column < position.value if descending else column > position.value
    reached = column <= position.value if descending else column >= position.value
    # ``reached AND (beyond OR tie)``: the first half is an index range
    later: ColumnElement[bool] = and_(reached, or_(beyond, beyond_id))
    if query.sort == SortField.LAST_LOGIN:
        later = or_(later, column.is_(None))
    return later


async def _count(session: AsyncSession, conditions: list[ColumnElement[bool]]) -> int:
    return int(await session.scalar(select(func.count()).select_from(User).where(*conditions)) or 0)


async def list_users(deps: Deps, *, principal: Principal | None, query: UserQuery) -> UserPage:
    """One page of rows, and its total as ``query.total`` asks: two statements at most
    whatever the page size. A tenant's administrator sees (and counts) the members of their
    tenant alone.

    ``after`` seeks (keyset). An offset page past the middle of a known total is read
    backwards from the end, so the last page costs what the first does; the pages in
    between cost their offset.
    """
    reached = await tenancy.reach(deps, principal, Permission.USERS_READ)
    wanted = PageRequest.checked(query.offset, query.limit, max_limit=MAX_PAGE_SIZE)
    conditions = _conditions(query)
    if not reached.everywhere:
        conditions.append(reached.members(col(User.id)))
    offset, limit = wanted.offset, wanted.limit
    async with deps.database.read() as session:
        columns = listed_columns(dialect_name(session))
        total: int | None = None
        if query.total is TotalCount.EXACT:
            total = await _count(session, conditions)
        elif query.total is TotalCount.RECENT:
            total = await counts.cached_total(
                deps.database.engine.url,
                (*query.filters, reached.tenant_id),
                seconds=deps.settings.users_total_cache_seconds,
                count=lambda: _count(session, conditions),
            )
        rows: list[UserRow] = []
        more = False
        if limit and query.after is not None:
            statement = select(*columns).where(*conditions, _after(query, query.after))
            found = (await session.execute(_ordered(statement, query).limit(limit + 1))).all()
            more = len(found) > limit
            rows = [UserRow(*one) for one in found[:limit]]
        elif limit and total is not None and offset > total // 2:
            left = total - offset
            if left > 0:
                statement = select(*columns).where(*conditions)
                backwards = _ordered(statement, query, reverse=True)
                backwards = backwards.offset(max(left - limit, 0)).limit(min(limit, left))
                found = (await session.execute(backwards)).all()
                rows = [UserRow(*one) for one in reversed(found)]
        elif limit:
            statement = _ordered(select(*columns).where(*conditions), query)
            extra = 1 if total is None else 0
            found = (await session.execute(statement.offset(offset).limit(limit + extra))).all()
            more = len(found) > limit
            rows = [UserRow(*one) for one in found[:limit]]
    if total is not None and query.after is None:
        more = offset + len(rows) < total
    return UserPage(
        items=rows,
        total=total,
        offset=offset,
        limit=limit,
        has_next=more,
        has_previous=offset > 0 or query.after is not None,
    )


async def get_user(deps: Deps, *, principal: Principal | None, user_id: uuid.UUID) -> User:
    """One account within the caller's reach; any other is not found."""
    reached = await tenancy.reach(deps, principal, Permission.USERS_READ)
    async with deps.database.read() as session:
        user = await session.scalar(
            select(User).where(col(User.id) == user_id, reached.members(col(User.id)))
        )
    if user is None:
        raise NotFound("User not found")
    return user


async def grants_of(
    deps: Deps, user_ids: Iterable[uuid.UUID], *, tenant_id: uuid.UUID | None = None
) -> dict[uuid.UUID, Grants]:
    """Effective and direct permissions of users already read, acting in ``tenant_id``:
    one statement."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    async with deps.database.read() as session:
        return await authorization.grants(session, ids, tenant_id=tenant_id)
