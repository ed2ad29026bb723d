"""Batch readers for GraphQL's loaders: several tenants' locations (``Tenant.locations``) and
pages of several locations' users (``Location.users``), a fixed number of statements
whatever the number of keys.

Callers check access first (``locations:read`` reaching the tenant of each key)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.models import Location, User, UserLocation
from identity.services._kit import Page


async def locations_of_tenants(
    session: AsyncSession, tenant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Location]]:
    """Each tenant's locations by name (ties by id), in one statement."""
    ids = list(dict.fromkeys(tenant_ids))
    found: dict[uuid.UUID, list[Location]] = {tenant_id: [] for tenant_id in ids}
    if not ids:
        return found
    rows = await session.scalars(
        select(Location)
        .where(col(Location.tenant_id).in_(ids))
        .order_by(col(Location.name), col(Location.id))
    )
    for location in rows.all():
        found[location.tenant_id].append(location)
    return found


@dataclass(frozen=True, slots=True)
class UsersKey:
    """One page of a location's users: ``limit`` of them after the first ``offset``."""

    location_id: uuid.UUID
    offset: int
    limit: int


@dataclass(frozen=True, slots=True)
class LocationUser:
    """A user assigned to a location, whether it is their primary one in its tenant."""

    user: User
    is_primary: bool
    assigned_at: datetime


async def user_pages(session: AsyncSession, keys: Sequence[UsersKey]) -> list[Page[LocationUser]]:
    """Pages of several locations' users, by email (ties by id) as REST lists them, in two
    statements whatever their number."""
    location_ids = list(dict.fromkeys(key.location_id for key in keys))
    if not location_ids:
        return []
    totals: dict[uuid.UUID, int] = {
        location_id: int(count)
        for location_id, count in await session.execute(
            select(col(UserLocation.location_id), func.count())
            .where(col(UserLocation.location_id).in_(location_ids))
            .group_by(col(UserLocation.location_id))
        )
    }
    ranked = (
        select(
            col(UserLocation.location_id).label("location_id"),
            col(UserLocation.user_id).label("user_id"),
            col(UserLocation.is_primary).label("is_primary"),
            col(UserLocation.assigned_at).label("assigned_at"),
            func.row_number()
            .over(
                partition_by=col(UserLocation.location_id),
                order_by=(col(User.email_key), col(User.id)),
            )
            .label("position"),
        )
        .join(User, col(User.id) == col(UserLocation.user_id))
        .where(col(UserLocation.location_id).in_(location_ids))
        .subquery()
    )
    wanted = [
        and_(
            ranked.c.location_id == key.location_id,
            ranked.c.position > key.offset,
            ranked.c.position <= key.offset + key.limit,
        )
        for key in keys
    ]
    rows = await session.execute(
        select(
            ranked.c.location_id, ranked.c.position, ranked.c.is_primary, ranked.c.assigned_at, User
        )
        .join(User, col(User.id) == ranked.c.user_id)
        .where(or_(*wanted))
        .order_by(ranked.c.location_id, ranked.c.position)
    )
    by_location: dict[uuid.UUID, list[tuple[int, LocationUser]]] = defaultdict(list)
    for location_id, position, primary, assigned_at, user in rows:
        by_location[location_id].append(
            (int(position), LocationUser(user, bool(primary), assigned_at))
        )
    return [
        Page(
            items=[
                one
                for position, one in by_location[key.location_id]
                if key.offset < position <= key.offset + key.limit
            ],
            total=totals.get(key.location_id, 0),
            offset=key.offset,
            limit=key.limit,
        )
        for key in keys
    ]
