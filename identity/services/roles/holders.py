"""Batch readers: the roles each user holds (GraphQL's ``User.roles``) and the pages of each
role's holders (``Role.users``), a fixed number of statements whatever the number of keys."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.models import Role, TenantMember, User
from identity.services._kit import Page
from identity.services.held import held_pairs


async def held_roles(
    session: AsyncSession,
    user_ids: Sequence[uuid.UUID],
    *,
    include_inactive: bool = True,
    tenant_id: uuid.UUID | None = None,
    every_tenant: bool = False,
) -> dict[uuid.UUID, list[Role]]:
    """Each user's roles in one statement: the primary role first, then the others by name,
    each once. Inactive roles are included unless ``include_inactive`` is False (what
    GraphQL's ``User.roles`` and REST's user roles show: every role held).

    The roles that count acting in ``tenant_id``, as ``authorization.grants`` counts them:
    the global ones and those of that tenant the user is still a member of (global ones
    only when it is None); ``every_tenant`` lists the roles of every tenant."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    held = held_pairs(users=lambda user_id: user_id.in_(ids)).subquery("held")
    statement = (
        select(held.c.user_id, Role)
        .join(Role, col(Role.id) == held.c.role_id)
        .order_by(held.c.user_id, held.c.kind, col(Role.name), col(Role.id))
    )
    if not every_tenant:
        member = exists().where(
            col(TenantMember.tenant_id) == col(Role.tenant_id),
            col(TenantMember.user_id) == held.c.user_id,
        )
        in_tenant = (
            and_(col(Role.tenant_id) == tenant_id, member) if tenant_id is not None else false()
        )
        statement = statement.where(or_(col(Role.tenant_id).is_(None), in_tenant))
    if not include_inactive:
        statement = statement.where(col(Role.is_active))
    found: dict[uuid.UUID, list[Role]] = {user_id: [] for user_id in ids}
    for user_id, role in await session.execute(statement):
        mine = found[user_id]
        if all(other.id != role.id for other in mine):
            mine.append(role)
    return found


@dataclass(frozen=True, slots=True)
class HoldersKey:
    """One page of a role's holders: ``limit`` accounts after the first ``offset``."""

    role_id: uuid.UUID
    offset: int
    limit: int


class HoldersPage(Page[User]):
    """A page of a role's holders; ``users`` is ``items``."""

    __slots__ = ()

    @property
    def users(self) -> list[User]:
        return self.items


async def role_holders(session: AsyncSession, keys: Sequence[HoldersKey]) -> list[HoldersPage]:
    """Pages of several roles' holders (by email) in two statements, whatever their number.

    Who holds a role is ``services.held``'s; an account holding it twice (primary and in
    user_roles) counts once. Callers check access (``users:read``) before asking.
    """
    role_ids = list(dict.fromkeys(key.role_id for key in keys))
    if not role_ids:
        return []
    pairs = held_pairs(roles=lambda held_role: held_role.in_(role_ids)).subquery("pairs")
    held = select(pairs.c.user_id, pairs.c.role_id).distinct().subquery("held")
    totals: dict[uuid.UUID, int] = {
        role_id: int(count)
        for role_id, count in await session.execute(
            select(held.c.role_id, func.count()).group_by(held.c.role_id)
        )
    }
    ranked = (
        select(
            held.c.role_id,
            held.c.user_id,
            func.row_number()
            .over(partition_by=held.c.role_id, order_by=(col(User.email_key), col(User.id)))
            .label("position"),
        )
        .join(User, col(User.id) == held.c.user_id)
        .subquery()
    )
    wanted = [
        and_(
            ranked.c.role_id == key.role_id,
            ranked.c.position > key.offset,
            ranked.c.position <= key.offset + key.limit + 1,
        )
        for key in keys
    ]
    rows = await session.execute(
        select(ranked.c.role_id, ranked.c.position, User)
        .join(User, col(User.id) == ranked.c.user_id)
        .where(or_(*wanted))
        .order_by(ranked.c.role_id, ranked.c.position)
    )
    by_role: dict[uuid.UUID, list[tuple[int, User]]] = defaultdict(list)
    for role_id, position, user in rows:
        by_role[role_id].append((int(position), user))
    pages = []
    for key in keys:
        window = [
            user
            for position, user in by_role[key.role_id]
            if key.offset < position <= key.offset + key.limit + 1
        ]
        pages.append(
            HoldersPage(
                items=window[: key.limit],
                total=int(totals.get(key.role_id, 0)),
                offset=key.offset,
                limit=key.limit,
            )
        )
    return pages
