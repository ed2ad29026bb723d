"""Locations (seed 004's), as GraphQL sees them: types, inputs, payloads, and
``User.locations``."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

import strawberry
from strawberry.types import Info

from identity.errors import IdentityError
from identity.models import Location as LocationModel
from identity.permissions import Permission
from identity.services import tenancy
from identity.services.locations import Assignment
from identity.services.tenancy import Reach
from schema.context import Context


@strawberry.type(description="A site of an organization (tenant).")
class Location:
    id: strawberry.ID = strawberry.field(description="Location id (UUID).")
    tenant_id: strawberry.ID = strawberry.field(description="The organization it belongs to.")
    name: str = strawberry.field(description="Its name.")
    code: str = strawberry.field(
        description="Unique within its organization: letters, digits, '-', '_' or '.', upper-cased."
    )
    description: str | None = strawberry.field(description="What it is.")
    address: str | None = strawberry.field(description="Street address.")
    city: str | None = strawberry.field(description="City.")
    state: str | None = strawberry.field(description="State or region.")
    country: str | None = strawberry.field(description="Country.")
    postal_code: str | None = strawberry.field(description="Postal code.")
    is_active: bool = strawberry.field(description="Whether it is in use.")
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="Last change.")

    @classmethod
    def from_model(cls, row: LocationModel) -> Location:
        return cls(
            id=strawberry.ID(str(row.id)),
            tenant_id=strawberry.ID(str(row.tenant_id)),
            name=row.name,
            code=row.code,
            description=row.description,
            address=row.address,
            city=row.city,
            state=row.state,
            country=row.country,
            postal_code=row.postal_code,
            is_active=row.is_active,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type(description="A location a user is assigned to.")
class AssignedLocation:
    location: Location = strawberry.field(description="The location.")
    is_primary: bool = strawberry.field(
        description="Their primary location in its organization (one per organization)."
    )
    assigned_at: datetime = strawberry.field(description="When they were first assigned.")

    @classmethod
    def from_assignment(cls, one: Assignment) -> AssignedLocation:
        return cls(
            location=Location.from_model(one.location),
            is_primary=one.is_primary,
            assigned_at=one.assigned_at,
        )


async def _reach(info: Info[Context, None]) -> Reach | None:
    """Where the caller's locations:read reaches (None: nowhere), asked once per request."""
    loader = info.context.loaders.locations_by_user
    if loader.reach is None:

        async def ask() -> Reach | None:
            try:
                return await tenancy.reach(
                    info.context.deps, await info.context.principal(), Permission.LOCATIONS_READ
                )
            except IdentityError:
                return None

        loader.reach = asyncio.ensure_future(ask())
    return await loader.reach


async def locations_of(info: Info[Context, None], user_id: uuid.UUID) -> list[AssignedLocation]:
    """``User.locations``: all of them for the user themself; for others those within the
    reach of the caller's locations:read (none without it)."""
    principal = await info.context.principal()
    if principal is None:
        return []
    held = await info.context.loaders.locations_by_user.load(user_id)
    if principal.user_id != user_id:
        where = await _reach(info)
        if where is None:
            return []
        held = [one for one in held if where.covers(one.location.tenant_id)]
    return [AssignedLocation.from_assignment(one) for one in held]


@strawberry.input(description="A new location.")
class CreateLocationInput:
    name: str = strawberry.field(description="Its name.")
    code: str = strawberry.field(description="Unique within the organization.")
    description: str | None = strawberry.field(default=None, description="What it is.")
    address: str | None = strawberry.field(default=None, description="Street address.")
    city: str | None = strawberry.field(default=None, description="City.")
    state: str | None = strawberry.field(default=None, description="State or region.")
    country: str | None = strawberry.field(default=None, description="Country.")
    postal_code: str | None = strawberry.field(default=None, description="Postal code.")
    is_active: bool = strawberry.field(default=True, description="Whether it is in use.")
    tenant_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The organization (within your reach); default: the one your permission "
        "reaches, else your active one.",
    )


@strawberry.input(description="Changes to a location; omitted fields stay, null clears one.")
class UpdateLocationInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="New name.")
    code: str | None = strawberry.field(default=strawberry.UNSET, description="New code.")
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="New description."
    )
    address: str | None = strawberry.field(default=strawberry.UNSET, description="New address.")
    city: str | None = strawberry.field(default=strawberry.UNSET, description="New city.")
    state: str | None = strawberry.field(default=strawberry.UNSET, description="New state.")
    country: str | None = strawberry.field(default=strawberry.UNSET, description="New country.")
    postal_code: str | None = strawberry.field(
        default=strawberry.UNSET, description="New postal code."
    )
    is_active: bool | None = strawberry.field(
        default=strawberry.UNSET, description="In use or not."
    )


@strawberry.input(description="Locations to add to a user's, one of them primary.")
class AssignLocationsInput:
    user_id: strawberry.ID = strawberry.field(description="The user (a member of their tenant).")
    location_ids: list[strawberry.ID] = strawberry.field(
        description="1 to 100 locations of one organization."
    )
    primary_location_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="One of locationIds; default: the primary stays, or the first becomes it.",
    )


@strawberry.type(description="The location as it is after the change.")
class LocationPayload:
    location: Location = strawberry.field(description="The location.")


@strawberry.type(description="The location was deleted, with its assignments.")
class LocationDeleted:
    id: strawberry.ID = strawberry.field(description="Id of the deleted location.")


@strawberry.type(description="A user's locations after the change.")
class UserLocationsPayload:
    user_id: strawberry.ID = strawberry.field(description="The user.")
    locations: list[AssignedLocation] = strawberry.field(
        description="Their locations within your reach, primary ones first."
    )
