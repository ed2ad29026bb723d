"""Batch reader for GraphQL's loaders: the newest invitations of several tenants
(``Tenant.invitations``), one statement for the totals and one for the rows per status asked.

Callers check access first (``invitations:manage`` reaching the tenant of each key)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.models import Invitation, InvitationStatus
from identity.services.invitations.common import (
    InvitationDetails,
    details_from,
    details_query,
    with_status,
)


@dataclass(frozen=True, slots=True)
class InvitationsKey:
    """A tenant's newest ``limit`` invitations after the first ``offset``, of ``status``
    (None: any), as its computed status says (a pending one past its expiry is expired)."""

    tenant_id: uuid.UUID
    status: InvitationStatus | None
    offset: int
    limit: int


@dataclass(frozen=True, slots=True)
class TenantInvitations:
    items: list[InvitationDetails]
    total: int


def _condition(status: InvitationStatus | None, now: datetime) -> ColumnElement[bool]:
    return with_status(status, now) if status is not None else true()


async def invitations_of_tenants(
    session: AsyncSession, keys: Sequence[InvitationsKey], *, now: datetime
) -> list[TenantInvitations]:
    """Each key's invitations, newest first (ties by id) as the list route orders them, with
    how many match in all."""
    by_status: dict[InvitationStatus | None, list[InvitationsKey]] = defaultdict(list)
    for key in dict.fromkeys(keys):
        by_status[key.status].append(key)
    found: dict[InvitationsKey, TenantInvitations] = {}
    for status, group in by_status.items():
        tenant_ids = list(dict.fromkeys(key.tenant_id for key in group))
        condition = _condition(status, now)
        totals: dict[uuid.UUID, int] = {
            tenant_id: int(count)
            for tenant_id, count in await session.execute(
                select(col(Invitation.tenant_id), func.count())
                .where(col(Invitation.tenant_id).in_(tenant_ids), condition)
                .group_by(col(Invitation.tenant_id))
            )
        }
        deepest = max(key.offset + key.limit for key in group)
        ranked = (
            select(
                col(Invitation.id).label("id"),
                func.row_number()
                .over(
                    partition_by=col(Invitation.tenant_id),
                    order_by=(col(Invitation.created_at).desc(), col(Invitation.id)),
                )
                .label("position"),
            )
            .where(col(Invitation.tenant_id).in_(tenant_ids), condition)
            .subquery()
        )
        rows = await session.execute(
            details_query()
            .add_columns(ranked.c.position)
            .join(ranked, ranked.c.id == col(Invitation.id))
            .where(ranked.c.position <= deepest)
            .order_by(col(Invitation.tenant_id), ranked.c.position)
        )
        listed: dict[uuid.UUID, list[tuple[int, InvitationDetails]]] = defaultdict(list)
        for row in rows.all():
            *details, position = row
            one = details_from(details, now)
            listed[one.invitation.tenant_id].append((int(position), one))
        for key in group:
            found[key] = TenantInvitations(
                items=[
                    one
                    for position, one in listed[key.tenant_id]
                    if key.offset < position <= key.offset + key.limit
                ],
                total=totals.get(key.tenant_id, 0),
            )
    return [found[key] for key in keys]
