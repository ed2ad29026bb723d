"""Tenant scope: which rows of a tenant-owned table a caller sees, decided in one place.

A table is tenant-owned when it has a ``tenant_id`` column (NULL: a global row, shared by the
whole installation); each one is registered in ``TENANT_OWNED`` (a test fails when a model
with that column is not). Every query of such a table goes through ``scoped`` (a WHERE) or
``in_scope`` (a JOIN's ON clause), with the caller's scope:

- no tenant (``None``, every caller today): global rows only;
- a tenant: that tenant's rows only, or with ``with_global`` its rows and the global ones (a
  tenant sees the system roles it may hand out, for example).

Comparing with a fixed tenant is not scoping: "the global super-admin role" names a row and
writes ``Role.tenant_id IS NULL`` itself, as it does for every caller.

Where a permission reaches is the other half (``reach``): a permission held through a global
role or a direct grant reaches every tenant; one held only through a role of the caller's
active tenant reaches that tenant alone. Every tenant-scoped service asks ``reach`` for the
permission it needs and filters with the answer (``Reach.rows``, ``Reach.members``) or checks
an object with it (``Reach.covers``): another tenant's object is then not found (404),
never forbidden, and lists and counts never see it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Delete, Select, Update, exists, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from identity.errors import AuthenticationRequired, PermissionDenied
from identity.models import (
    AuditEvent,
    AuthSession,
    Invitation,
    Location,
    Role,
    TenantMember,
)
from identity.permissions import Permission
from identity.principal import Holding, Principal
from identity.services import access, authorization
from identity.services.deps import Deps

TENANT_OWNED: frozenset[type[SQLModel]] = frozenset(
    {Role, Location, Invitation, TenantMember, AuditEvent, AuthSession}
)
"""Every model with a ``tenant_id`` column."""

Scope = Principal | uuid.UUID | None
"""A caller (its ``tenant_id``), a tenant's id, or None: no tenant."""

Statement = TypeVar("Statement", Select[Any], Update, Delete)


class NotTenantOwned(TypeError):
    """Scoping asked of a model that is not registered as tenant-owned."""


def tenant_of(scope: Scope) -> uuid.UUID | None:
    return scope.tenant_id if isinstance(scope, Principal) else scope


def _tenant_column(model: type[SQLModel]) -> Any:
    """``model.tenant_id``; NotTenantOwned for a model not registered in ``TENANT_OWNED``."""
    if model not in TENANT_OWNED:
        raise NotTenantOwned(f"{model.__name__} is not registered in tenancy.TENANT_OWNED")
    return getattr(model, "tenant_id")  # noqa: B009 (``model`` is any registered model)


def in_scope(
    model: type[SQLModel], scope: Scope, *, with_global: bool = False
) -> ColumnElement[bool]:
    """The condition a row of ``model`` meets when ``scope`` may see it."""
    column = _tenant_column(model)
    tenant = tenant_of(scope)
    if tenant is None:
        condition: ColumnElement[bool] = column.is_(None)
        return condition
    own: ColumnElement[bool] = column == tenant
    return or_(own, column.is_(None)) if with_global else own


def scoped(
    statement: Statement, model: type[SQLModel], scope: Scope, *, with_global: bool = False
) -> Statement:
    """``statement`` restricted to the rows of ``model`` that ``scope`` may see."""
    return statement.where(in_scope(model, scope, with_global=with_global))


@dataclass(frozen=True, slots=True)
class Reach:
    """Where a caller's permission reaches: every tenant (``tenant_id`` None, a permission
    held globally) or the one tenant ``tenant_id``."""

    tenant_id: uuid.UUID | None

    @property
    def everywhere(self) -> bool:
        return self.tenant_id is None

    def covers(self, tenant_id: uuid.UUID | None) -> bool:
        """Whether an object of ``tenant_id`` (None: a global object) is within reach."""
        return self.tenant_id is None or tenant_id == self.tenant_id

    def rows(self, model: type[SQLModel]) -> ColumnElement[bool]:
        """The rows of a tenant-owned ``model`` within reach (every row when everywhere)."""
        column = _tenant_column(model)
        if self.tenant_id is None:
            return true()
        condition: ColumnElement[bool] = column == self.tenant_id
        return condition

    def members(self, user_id: Any) -> ColumnElement[bool]:
        """A condition on a user id column: the user is a member of the tenant in reach."""
        if self.tenant_id is None:
            return true()
        return (
            exists()
            .where(
                col(TenantMember.tenant_id) == self.tenant_id,
                col(TenantMember.user_id) == user_id,
            )
            .correlate_except(TenantMember)
        )


async def within(session: AsyncSession, reached: Reach, user_id: uuid.UUID) -> bool:
    """Whether the account ``user_id`` is within ``reached`` (a member of its tenant)."""
    if reached.everywhere:
        return True
    found = await session.scalar(
        select(col(TenantMember.user_id)).where(
            col(TenantMember.tenant_id) == reached.tenant_id, col(TenantMember.user_id) == user_id
        )
    )
    return found is not None


def reach_of(holding: Holding, principal: Principal, permission: Permission) -> Reach:
    """Where ``permission`` reaches for ``principal`` holding ``holding``: everywhere when
    held globally, the active tenant when held through its roles alone; PermissionDenied
    when not held."""
    if permission.value in holding.everywhere:
        return Reach(None)
    if permission.value in holding.permissions and principal.tenant_id is not None:
        return Reach(principal.tenant_id)
    raise PermissionDenied(f"Requires the {permission.value} permission")


async def reach(deps: Deps, principal: Principal | None, permission: Permission) -> Reach:
    """Where ``permission`` reaches for the caller (read once per request with the caller's
    permissions); AuthenticationRequired or PermissionDenied when it reaches nowhere."""
    caller = await authorization.require(deps, principal, permission)
    return reach_of(await caller.held.holding(), caller, permission)


async def reach_now(
    session: AsyncSession, principal: Principal | None, permission: Permission
) -> tuple[Reach, frozenset[str]]:
    """``reach`` as ``session``'s transaction sees the caller's permissions (after its row
    locks), with everything the caller holds: what a write checks again before it changes
    anything."""
    if principal is None:
        raise AuthenticationRequired()
    found = await access.grants_now(session, principal, permission)
    reached = reach_of(Holding(found.permissions, found.everywhere), principal, permission)
    return reached, found.permissions
