"""Tenant scope: the models that are tenant-owned are all registered with the one scoping
helper, and the helper shows a caller without a tenant only global rows (as every query does
today), a tenant only its own rows, or its own and the global ones. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Select, select
from sqlmodel import col

from identity.models import Role, Tenant, User, metadata
from identity.principal import Principal
from identity.services import tenancy
from identity.services.tenancy import TENANT_OWNED, NotTenantOwned, in_scope, scoped
from tests.support.app import runtime

TENANT = uuid.UUID("00000000-0000-4000-8000-00000000000a")
OTHER = uuid.UUID("00000000-0000-4000-8000-00000000000b")


def test_every_table_with_a_tenant_column_is_registered() -> None:
    with_tenant = {table.name for table in metadata.tables.values() if "tenant_id" in table.c}
    registered = {str(model.__tablename__) for model in TENANT_OWNED}
    assert with_tenant == registered, (
        "A model with a tenant_id column must be registered in "
        "identity.services.tenancy.TENANT_OWNED (and every query of it must go through "
        f"tenancy.scoped / tenancy.in_scope): {sorted(with_tenant ^ registered)}"
    )
    assert {"roles", "locations", "invitations", "tenant_members", "audit_events"} <= registered


def test_a_model_that_is_not_tenant_owned_cannot_be_scoped() -> None:
    with pytest.raises(NotTenantOwned):
        scoped(select(User), User, None)


def test_a_principal_scopes_by_its_tenant() -> None:
    assert tenancy.tenant_of(None) is None
    assert tenancy.tenant_of(TENANT) == TENANT
    principal = Principal(
        user=User.model_construct(email="a@example.com"),
        user_id=uuid.uuid4(),
        session_id=uuid.uuid4(),
        email="a@example.com",
        role="user",
        token_id="t",
    )
    assert principal.tenant_id is None
    assert tenancy.tenant_of(principal) is None


async def _names(app: FastAPI, statement: Select[Any]) -> set[str]:
    async with runtime(app).database.read() as session:
        return set((await session.scalars(statement)).all())


async def test_scopes_see_global_rows_their_own_or_both(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given: global roles (the seeded ones and "shared"), one role per tenant
    now = runtime(app).clock.now()
    async with runtime(app).database.unit_of_work() as session:
        for tenant, slug in ((TENANT, "ours"), (OTHER, "theirs")):
            session.add(Tenant(id=tenant, name=slug, slug=slug, created_at=now, updated_at=now))
        await session.flush()
        for name, tenant in (("shared", None), ("ours", TENANT), ("theirs", OTHER)):
            session.add(Role(name=name, tenant_id=tenant, created_at=now, updated_at=now))
    names = select(col(Role.name))
    owned = {"shared", "ours", "theirs"}

    # then
    assert (await _names(app, scoped(names, Role, None))) & owned == {"shared"}
    assert "superadmin" in await _names(app, scoped(names, Role, None))
    assert await _names(app, scoped(names, Role, TENANT)) == {"ours"}
    with_global = await _names(app, scoped(names, Role, TENANT, with_global=True))
    assert with_global & owned == {"shared", "ours"}
    assert "superadmin" in with_global
    assert await _names(app, scoped(names, Role, OTHER)) == {"theirs"}
    joined = select(col(Role.name)).join_from(
        User, Role, (col(Role.name) == col(User.role)) & in_scope(Role, None)
    )
    assert await _names(app, joined) <= await _names(app, scoped(names, Role, None))
