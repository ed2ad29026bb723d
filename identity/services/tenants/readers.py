"""Batch readers for GraphQL's loaders: several tenants' roles in one statement.

Callers check access first (``roles:read`` reaching the tenant)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.models import Role


async def roles_of_tenants(
    session: AsyncSession, tenant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Role]]:
    """Each tenant's own roles (not the global ones), by name."""
    ids = list(dict.fromkeys(tenant_ids))
    found: dict[uuid.UUID, list[Role]] = {tenant_id: [] for tenant_id in ids}
    if not ids:
        return found
    rows = await session.scalars(
        select(Role).where(col(Role.tenant_id).in_(ids)).order_by(col(Role.name), col(Role.id))
    )
    for role in rows.all():
        if role.tenant_id is not None:
            found[role.tenant_id].append(role)
    return found
