"""Locations themselves: list, read, create, change, delete (with their assignments)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import LocationCodeTaken, NotFound, TenantRequired
from identity.models import Location, Tenant, TenantMember, UserLocation
from identity.permissions import Permission
from identity.principal import Principal
from identity.services import audit, text_rules
from identity.services._kit import UNSET, PageRequest, Unset, given
from identity.services.deps import Deps
from identity.services.locations.common import (
    MAX_PAGE,
    OPTIONAL_FIELDS,
    clean_code,
    clean_name,
    clean_optional,
    ensure_primary,
    location_within,
    reach,
    reach_now,
)

RESOURCE = "locations"


@dataclass(frozen=True, slots=True)
class LocationFields:
    """A new location's fields as sent (cleaned by ``create_location``)."""

    name: str
    code: str
    description: str | None = None
    address: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    postal_code: str | None = None
    is_active: bool = True


@dataclass(frozen=True, slots=True)
class LocationChanges:
    """What an update changes; UNSET leaves a field as it is, None clears an optional one."""

    name: str | Unset = UNSET
    code: str | Unset = UNSET
    description: str | Unset | None = UNSET
    address: str | Unset | None = UNSET
    city: str | Unset | None = UNSET
    state: str | Unset | None = UNSET
    country: str | Unset | None = UNSET
    postal_code: str | Unset | None = UNSET
    is_active: bool | Unset = UNSET


def snapshot(location: Location) -> dict[str, object]:
    return {
        "name": location.name,
        "code": location.code,
        **{field: getattr(location, field) for field in OPTIONAL_FIELDS},
        "is_active": location.is_active,
    }


def _taken(code: str) -> LocationCodeTaken:
    return LocationCodeTaken(
        f"A location with code '{code}' already exists in this organization", field="code"
    )


async def list_locations(
    deps: Deps,
    *,
    principal: Principal | None,
    search: str | None = None,
    is_active: bool | None = None,
    tenant_id: uuid.UUID | None = None,
    offset: int = 0,
    limit: int = MAX_PAGE,
) -> list[Location]:
    """Locations within reach by name (ties by id); ``search`` looks in name, code and city."""
    _, where = await reach(deps, principal, Permission.LOCATIONS_READ)
    statement = (
        select(Location).where(where.rows(Location)).order_by(col(Location.name), col(Location.id))
    )
    term = text_rules.search_term(search)
    if term:
        statement = statement.where(
            or_(
                *(
                    func.lower(func.coalesce(column, "")).contains(term, autoescape=True)
                    for column in (col(Location.name), col(Location.code), col(Location.city))
                )
            )
        )
    if is_active is not None:
        statement = statement.where(col(Location.is_active) == is_active)
    if tenant_id is not None:
        statement = statement.where(col(Location.tenant_id) == tenant_id)
    statement = PageRequest.checked(offset, limit, max_limit=MAX_PAGE).apply(statement)
    async with deps.database.read() as session:
        return list((await session.scalars(statement)).all())


async def get_location(
    deps: Deps, *, principal: Principal | None, location_id: uuid.UUID
) -> Location:
    _, where = await reach(deps, principal, Permission.LOCATIONS_READ)
    async with deps.database.read() as session:
        return await location_within(session, where, location_id)


async def create_location(
    deps: Deps,
    *,
    principal: Principal | None,
    fields: LocationFields,
    tenant_id: uuid.UUID | None = None,
) -> Location:
    """A location of ``tenant_id`` (within reach), else of the tenant the permission reaches,
    else of the caller's active tenant; TenantRequired when none applies."""
    caller, where = await reach(deps, principal, Permission.LOCATIONS_WRITE)
    owner = tenant_id or where.tenant_id or caller.tenant_id
    if owner is None:
        raise TenantRequired(field="organization_id")
    if not where.covers(owner):
        raise NotFound("Organization not found", field="organization_id")
    name = clean_name(fields.name)
    code = clean_code(fields.code)
    optional = {field: clean_optional(field, getattr(fields, field)) for field in OPTIONAL_FIELDS}
    now = deps.clock.now()
    try:
        async with deps.database.unit_of_work() as session:
            if not (await reach_now(session, caller)).covers(owner):
                raise NotFound("Organization not found", field="organization_id")
            if await session.get(Tenant, owner) is None:
                raise NotFound("Organization not found", field="organization_id")
            taken = await session.scalar(
                select(col(Location.id)).where(
                    col(Location.tenant_id) == owner, col(Location.code) == code
                )
            )
            if taken is not None:
                raise _taken(code)
            location = Location(
                tenant_id=owner,
                name=name,
                code=code,
                is_active=fields.is_active,
                description=optional["description"],
                address=optional["address"],
                city=optional["city"],
                state=optional["state"],
                country=optional["country"],
                postal_code=optional["postal_code"],
                created_at=now,
                updated_at=now,
            )
            session.add(location)
            await session.flush()
            audit.record(
                session,
                event_type=EventType.LOCATION_CREATED,
                now=now,
                meta=caller.meta,
                actor_id=caller.user_id,
                resource=RESOURCE,
                resource_id=str(location.id),
                tenant_id=owner,
                details=snapshot(location),
            )
    except IntegrityError as exc:
        raise _taken(code) from exc
    return location


def _cleaned(changes: LocationChanges) -> dict[str, object]:
    cleaned: dict[str, object] = {}
    for field, value in given(changes).items():
        if field == "name":
            cleaned[field] = clean_name(value)
        elif field == "code":
            cleaned[field] = clean_code(value)
        elif field == "is_active":
            cleaned[field] = bool(value)
        else:
            cleaned[field] = clean_optional(field, value)
    return cleaned


async def update_location(
    deps: Deps,
    *,
    principal: Principal | None,
    location_id: uuid.UUID,
    changes: LocationChanges,
) -> Location:
    caller, where = await reach(deps, principal, Permission.LOCATIONS_WRITE)
    cleaned = _cleaned(changes)
    now = deps.clock.now()
    code = cleaned.get("code")
    try:
        async with deps.database.unit_of_work() as session:
            where = await reach_now(session, caller)
            location = await location_within(session, where, location_id, lock=True)
            old = snapshot(location)
            if code is not None and code != location.code:
                taken = await session.scalar(
                    select(col(Location.id)).where(
                        col(Location.tenant_id) == location.tenant_id,
                        col(Location.code) == code,
                        col(Location.id) != location.id,
                    )
                )
                if taken is not None:
                    raise _taken(str(code))
            for field, value in cleaned.items():
                setattr(location, field, value)
            location.updated_at = now
            await session.flush()
            audit.record(
                session,
                event_type=EventType.LOCATION_UPDATED,
                now=now,
                meta=caller.meta,
                actor_id=caller.user_id,
                resource=RESOURCE,
                resource_id=str(location.id),
                tenant_id=location.tenant_id,
                details={"old": old, "new": snapshot(location)},
            )
    except IntegrityError as exc:
        raise _taken(str(code)) from exc
    return location


async def delete_location(
    deps: Deps, *, principal: Principal | None, location_id: uuid.UUID
) -> None:
    """Delete a location and its assignments; a user whose primary location it was gets
    their earliest assigned remaining location of that tenant as primary.

    The memberships of the users assigned to it are locked first, then the location, the
    order assignments take them in (membership, then the location's key), so a parallel
    assignment of one of them waits and then sees the location gone."""
    caller, where = await reach(deps, principal, Permission.LOCATIONS_WRITE)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        where = await reach_now(session, caller)
        location = await location_within(session, where, location_id)
        holders = await session.scalars(
            select(col(UserLocation.user_id)).where(col(UserLocation.location_id) == location.id)
        )
        await session.execute(
            select(col(TenantMember.user_id))
            .where(
                col(TenantMember.tenant_id) == location.tenant_id,
                col(TenantMember.user_id).in_(sorted(holders.all())),
            )
            .order_by(col(TenantMember.user_id))
            .with_for_update()
        )
        location = await location_within(session, where, location_id, lock=True)
        rows = await session.execute(
            select(col(UserLocation.user_id), col(UserLocation.is_primary)).where(
                col(UserLocation.location_id) == location.id
            )
        )
        assigned = {user_id: primary for user_id, primary in rows}
        await session.execute(
            delete(UserLocation).where(col(UserLocation.location_id) == location.id)
        )
        await session.delete(location)
        await session.flush()
        for user_id in sorted(user for user, primary in assigned.items() if primary):
            await ensure_primary(session, tenant_id=location.tenant_id, user_id=user_id)
        audit.record(
            session,
            event_type=EventType.LOCATION_DELETED,
            now=now,
            meta=caller.meta,
            actor_id=caller.user_id,
            resource=RESOURCE,
            resource_id=str(location.id),
            tenant_id=location.tenant_id,
            details={**snapshot(location), "assignments_removed": len(assigned)},
        )
