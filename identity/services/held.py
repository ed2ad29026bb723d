"""Who holds which role, defined once: an account holds its primary role (``users.role_id``)
and the roles of its ``user_roles`` rows.

Every reader of "the roles an account holds" builds on this module: the effective
permissions (``authorization``), the held-roles batch reader and the role holders
(``roles``), the users listing's role filter and the super-admin safeguards. A tenant's
membership roles will be one more branch here.

It imports only the models, so the services above it import it without a cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, exists, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.models import Role, User, UserRole
from identity.permissions import SUPERADMIN

PRIMARY: int = 0
EXTRA: int = 1

Filter = Callable[[Any], ColumnElement[bool]]


def held_pairs(*, users: Filter | None = None, roles: Filter | None = None) -> Any:
    """Rows ``(user_id, role_id, kind)``, one per role an account holds (``kind``: PRIMARY
    or EXTRA), as a UNION ALL to select from or wrap in a CTE or subquery. ``users`` and
    ``roles`` narrow it: each is given the user id or role id column of every branch."""
    primary: Any = select(
        col(User.id).label("user_id"),
        col(User.role_id).label("role_id"),
        literal(PRIMARY).label("kind"),
    )
    extra: Any = select(
        col(UserRole.user_id).label("user_id"),
        col(UserRole.role_id).label("role_id"),
        literal(EXTRA).label("kind"),
    )
    if users is not None:
        primary = primary.where(users(col(User.id)))
        extra = extra.where(users(col(UserRole.user_id)))
    if roles is not None:
        primary = primary.where(roles(col(User.role_id)))
        extra = extra.where(roles(col(UserRole.role_id)))
    return union_all(primary, extra)


def holds_any(role_ids: Any, *, extra_only: bool = False) -> ColumnElement[bool]:
    """A condition on ``User`` (correlated): the account holds one of ``role_ids`` (a
    sequence or a select of role ids); ``extra_only`` counts user_roles alone."""
    extra = (
        exists()
        .where(col(UserRole.user_id) == col(User.id), col(UserRole.role_id).in_(role_ids))
        .correlate(User)
    )
    if extra_only:
        return extra
    return or_(col(User.role_id).in_(role_ids), extra)


def global_role_named(name: str) -> Any:
    """The id of the global role (no tenant) called ``name``, as a select to embed."""
    return select(col(Role.id)).where(col(Role.name) == name, col(Role.tenant_id).is_(None))


async def global_role(session: AsyncSession, name: str) -> Role | None:
    """The global role called ``name`` (exactly), if there is one."""
    return await session.scalar(
        select(Role).where(col(Role.name) == name, col(Role.tenant_id).is_(None))
    )


def superadmin_role() -> Any:
    """The super-admin role's id, as a select (it is recognised by its name)."""
    return global_role_named(SUPERADMIN)
