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
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Delete, Select, Update, or_
from sqlmodel import SQLModel

from identity.models import Role
from identity.principal import Principal

TENANT_OWNED: frozenset[type[SQLModel]] = frozenset({Role})
"""Every model with a ``tenant_id`` column."""

Scope = Principal | uuid.UUID | None
"""A caller (its ``tenant_id``), a tenant's id, or None: no tenant."""

Statement = TypeVar("Statement", Select[Any], Update, Delete)


class NotTenantOwned(TypeError):
    """Scoping asked of a model that is not registered as tenant-owned."""


def tenant_of(scope: Scope) -> uuid.UUID | None:
    return scope.tenant_id if isinstance(scope, Principal) else scope


def in_scope(
    model: type[SQLModel], scope: Scope, *, with_global: bool = False
) -> ColumnElement[bool]:
    """The condition a row of ``model`` meets when ``scope`` may see it."""
    if model not in TENANT_OWNED:
        raise NotTenantOwned(f"{model.__name__} is not registered in tenancy.TENANT_OWNED")
    column: Any = getattr(model, "tenant_id")  # noqa: B009 (``model`` is any registered model)
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
