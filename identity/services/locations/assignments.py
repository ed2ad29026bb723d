"""Who is assigned where: assign users to locations, read and remove assignments, and the
batch reader behind GraphQL's ``User.locations``.

Assigning adds: the locations named join the user's assignments (those already assigned
stay, with their first assignment time) and ``primary_location_id`` becomes their primary
location in that tenant; without it the primary stays, or the first location named becomes
primary when the user had none there. Every location named belongs to one tenant, the user
is a member of it, and the whole assignment is refused (nothing written) when any of this
fails. Each change of a user's locations in a tenant first locks the user's membership row,
so parallel assignments of one user run one after the other and leave exactly one primary.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import NotFound, ValidationFailed
from identity.models import Location, User, UserLocation
from identity.permissions import Permission
from identity.principal import Principal
from identity.services import audit
from identity.services._kit import PageRequest
from identity.services.deps import Deps
from identity.services.locations.common import (
    MAX_ASSIGN,
    MAX_PAGE,
    Assignee,
    AssigneesPage,
    Assignment,
    ensure_primary,
    location_within,
    locked_membership,
    reach,
    reach_now,
)
from identity.services.tenancy import Reach

RESOURCE = "locations"


async def locations_of_users(
    session: AsyncSession, user_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[Assignment]]:
    """Each user's assignments in one statement: primary ones first, then by name and id.
    Callers filter by tenant (``Reach.covers(assignment.location.tenant_id)``)."""
    ids = list(dict.fromkeys(user_ids))
    found: dict[uuid.UUID, list[Assignment]] = defaultdict(list)
    if ids:
        rows = await session.execute(
            select(
                col(UserLocation.user_id),
                Location,
                col(UserLocation.is_primary),
                col(UserLocation.assigned_at),
            )
            .join(Location, col(Location.id) == col(UserLocation.location_id))
            .where(col(UserLocation.user_id).in_(ids))
            .order_by(col(UserLocation.is_primary).desc(), col(Location.name), col(Location.id))
        )
        for user_id, location, primary, assigned_at in rows:
            found[user_id].append(Assignment(location, bool(primary), assigned_at))
    return {user_id: found[user_id] for user_id in ids}


async def _visible_user(session: AsyncSession, where: Reach, user_id: uuid.UUID) -> User:
    user = await session.scalar(
        select(User).where(col(User.id) == user_id, where.members(col(User.id)))
    )
    if user is None:
        raise NotFound("User not found", field="user_id")
    return user


async def _assignments(session: AsyncSession, where: Reach, user_id: uuid.UUID) -> list[Assignment]:
    found = (await locations_of_users(session, [user_id]))[user_id]
    return [one for one in found if where.covers(one.location.tenant_id)]


async def user_locations(
    deps: Deps, *, principal: Principal | None, user_id: uuid.UUID
) -> list[Assignment]:
    """The user's locations within reach, primary first; NotFound for a user out of reach."""
    _, where = await reach(deps, principal, Permission.LOCATIONS_READ)
    async with deps.database.read() as session:
        await _visible_user(session, where, user_id)
        return await _assignments(session, where, user_id)


async def _named(
    session: AsyncSession, where: Reach, location_ids: Sequence[uuid.UUID]
) -> list[Location]:
    rows = list(
        (await session.scalars(select(Location).where(col(Location.id).in_(location_ids)))).all()
    )
    found = {row.id for row in rows if where.covers(row.tenant_id)}
    missing = [str(one) for one in location_ids if one not in found]
    if missing:
        raise NotFound("Location not found", field="location_ids", details={"missing": missing})
    return rows


async def assign_locations(
    deps: Deps,
    *,
    principal: Principal | None,
    user_id: uuid.UUID,
    location_ids: Sequence[uuid.UUID],
    primary_location_id: uuid.UUID | None = None,
) -> list[Assignment]:
    """Add the locations to the user's (see the module's rules); the user's locations within
    reach after the change, primary first."""
    caller, where = await reach(deps, principal, Permission.LOCATIONS_WRITE)
    ids = list(dict.fromkeys(location_ids))
    if not 1 <= len(ids) <= MAX_ASSIGN:
        raise ValidationFailed(
            f"Name 1 to {MAX_ASSIGN} locations", field="location_ids", details={"max": MAX_ASSIGN}
        )
    now = deps.clock.now()
    try:
        async with deps.database.unit_of_work() as session:
            where = await reach_now(session, caller)
            locations = await _named(session, where, ids)
            if primary_location_id is not None and primary_location_id not in ids:
                raise ValidationFailed(
                    "primary_location_id must be one of location_ids",
                    field="primary_location_id",
                )
            tenants = {row.tenant_id for row in locations}
            if len(tenants) > 1:
                raise ValidationFailed(
                    "The locations belong to several organizations: assign one "
                    "organization's locations at a time",
                    field="location_ids",
                    details={"reason": "SEVERAL_TENANTS"},
                )
            [tenant_id] = tenants
            await _visible_user(session, where, user_id)
            await locked_membership(session, tenant_id, user_id)
            held = set(
                (
                    await session.scalars(
                        select(col(UserLocation.location_id)).where(
                            col(UserLocation.user_id) == user_id,
                            col(UserLocation.location_id).in_(ids),
                        )
                    )
                ).all()
            )
            added = [one for one in ids if one not in held]
            session.add_all(
                UserLocation(user_id=user_id, location_id=one, is_primary=False, assigned_at=now)
                for one in added
            )
            await session.flush()
            await ensure_primary(
                session,
                tenant_id=tenant_id,
                user_id=user_id,
                primary=primary_location_id,
                otherwise=ids[0],
            )
            result = await _assignments(session, where, user_id)
            primary = next(
                (
                    one.location.id
                    for one in result
                    if one.is_primary and one.location.tenant_id == tenant_id
                ),
                None,
            )
            audit.record(
                session,
                event_type=EventType.LOCATION_USERS_ASSIGNED,
                now=now,
                meta=caller.meta,
                actor_id=caller.user_id,
                subject_id=user_id,
                resource=RESOURCE,
                resource_id=str(user_id),
                tenant_id=tenant_id,
                details={
                    "location_ids": [str(one) for one in ids],
                    "added": [str(one) for one in added],
                    "primary_location_id": str(primary) if primary else None,
                },
            )
    except IntegrityError as exc:  # a location deleted meanwhile
        raise NotFound("Location not found", field="location_ids") from exc
    return result


async def remove_user_location(
    deps: Deps,
    *,
    principal: Principal | None,
    user_id: uuid.UUID,
    location_id: uuid.UUID,
) -> list[Assignment]:
    """Take the user off the location; when it was their primary location, their earliest
    assigned remaining location of that tenant becomes primary. The user's locations within
    reach after the change."""
    caller, where = await reach(deps, principal, Permission.LOCATIONS_WRITE)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        where = await reach_now(session, caller)
        location = await location_within(session, where, location_id)
        await _visible_user(session, where, user_id)
        await locked_membership(session, location.tenant_id, user_id)
        gone = await session.execute(
            delete(UserLocation).where(
                col(UserLocation.user_id) == user_id,
                col(UserLocation.location_id) == location.id,
            )
        )
        if not gone.rowcount:  # type: ignore[attr-defined]
            raise NotFound("The user is not assigned to this location", field="location_id")
        await ensure_primary(session, tenant_id=location.tenant_id, user_id=user_id)
        result = await _assignments(session, where, user_id)
        audit.record(
            session,
            event_type=EventType.LOCATION_USER_REMOVED,
            now=now,
            meta=caller.meta,
            actor_id=caller.user_id,
            subject_id=user_id,
            resource=RESOURCE,
            resource_id=str(location.id),
            tenant_id=location.tenant_id,
            details={"location_id": str(location.id), "code": location.code},
        )
    return result


async def location_users(
    deps: Deps,
    *,
    principal: Principal | None,
    location_id: uuid.UUID,
    offset: int = 0,
    limit: int = MAX_PAGE,
) -> AssigneesPage:
    """The users assigned to a location, by email (ties by id), a page at a time."""
    _, where = await reach(deps, principal, Permission.LOCATIONS_READ)
    page = PageRequest.checked(offset, limit, max_limit=MAX_PAGE)
    async with deps.database.read() as session:
        location = await location_within(session, where, location_id)
        of_location = col(UserLocation.location_id) == location.id
        total = int(await session.scalar(select(func.count()).where(of_location)) or 0)
        rows = await session.execute(
            select(User, col(UserLocation.is_primary), col(UserLocation.assigned_at))
            .join(UserLocation, col(UserLocation.user_id) == col(User.id))
            .where(of_location)
            .order_by(col(User.email_key), col(User.id))
            .offset(page.offset)
            .limit(page.limit)
        )
        items = [
            Assignee(
                user_id=user.id,
                email=user.email,
                username=user.username,
                first_name=user.first_name,
                last_name=user.last_name,
                display_name=user.display_name,
                is_active=user.is_active,
                is_primary=bool(primary),
                assigned_at=assigned_at,
            )
            for user, primary, assigned_at in rows
        ]
    return AssigneesPage(items=items, total=total, offset=page.offset, limit=page.limit)
