"""Reading accounts for ``users:read``: a filtered, ordered page with its total, one account,
and the grants of accounts already read."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlmodel import col

from identity.errors import NotFound
from identity.models import Role, User
from identity.permissions import USER, Permission
from identity.principal import Principal
from identity.services import authorization, tenancy
from identity.services._kit import PageRequest
from identity.services.authorization import Grants
from identity.services.deps import Deps
from identity.services.held import global_role_named, holds_any
from identity.services.text_rules import search_term
from identity.services.users_admin.act import _status
from identity.services.users_admin.shapes import (
    MAX_PAGE_SIZE,
    SortField,
    SortOrder,
    UserPage,
    UserQuery,
)


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


def _ordered(statement: Select[Any], query: UserQuery) -> Select[Any]:
    column: Any = {
        SortField.CREATED_AT: col(User.created_at),
        SortField.EMAIL: col(User.email_key),
        SortField.LAST_LOGIN: col(User.last_login),
    }[query.sort]
    descending = query.order == SortOrder.DESC
    first = column.desc() if descending else column.asc()
    if query.sort == SortField.LAST_LOGIN:
        first = first.nulls_last()  # never-logged-in accounts last, whichever the order
    tie = col(User.id).desc() if descending else col(User.id).asc()
    return statement.order_by(first, tie)


async def list_users(deps: Deps, *, principal: Principal | None, query: UserQuery) -> UserPage:
    """One page and the total: two statements whatever the page size. A tenant's
    administrator sees (and counts) the members of their tenant alone."""
    reached = await tenancy.reach(deps, principal, Permission.USERS_READ)
    wanted = PageRequest.checked(query.offset, query.limit, max_limit=MAX_PAGE_SIZE)
    conditions = _conditions(query)
    if not reached.everywhere:
        conditions.append(reached.members(col(User.id)))
    counted = select(func.count()).select_from(User).where(*conditions)
    page = wanted.apply(_ordered(select(User).where(*conditions), query))
    async with deps.database.read() as session:
        total = int(await session.scalar(counted) or 0)
        users = list((await session.scalars(page)).all()) if wanted.limit else []
    return UserPage(items=users, total=total, offset=wanted.offset, limit=wanted.limit)


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
