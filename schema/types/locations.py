"""Locations (seed 004's), as GraphQL sees them: types, inputs, payloads, ``User.locations``,
``Location.users`` and what ``Tenant.locations`` answers."""

from __future__ import annotations

import asyncio
import uuid
from asyncio import Future
from collections.abc import Hashable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from identity.errors import IdentityError
from identity.models import Location as LocationModel
from identity.permissions import Permission
from identity.services import tenancy
from identity.services._kit import Page
from identity.services.locations import MAX_PAGE, Assignment
from identity.services.locations.readers import LocationUser, UsersKey
from identity.services.tenancy import Reach
from schema.context import Context
from schema.dataloaders import ready
from schema.permissions import HasPermission, requires
from schema.types.pagination import check_list_arguments, graphql_error

if TYPE_CHECKING:
    from schema.types.user import User


async def reaches(info: Info[Context, None], permission: Permission, tenant_id: uuid.UUID) -> bool:
    """Whether the caller's ``permission`` reaches the tenant (a refusal of the permission
    itself is a GraphQL error with its code).

    A field of another tenant's object answers empty rather than an error: an error there
    would null its parents and abandon its siblings' loads mid-read."""
    try:
        reach = await tenancy.reach(info.context.deps, await info.context.principal(), permission)
    except IdentityError as exc:
        raise graphql_error(exc) from exc
    return reach.covers(tenant_id)


@strawberry.type(description="A user assigned to a location.")
class LocationAssignee:
    user: Annotated[User, strawberry.lazy("schema.types.user")] = strawberry.field(
        description="The account."
    )
    is_primary: bool = strawberry.field(
        description="Whether it is their primary location in its organization."
    )
    assigned_at: datetime = strawberry.field(description="When they were first assigned.")


@strawberry.type(description="A page of a location's users, by email, and how many in all.")
class LocationAssigneeList:
    items: list[LocationAssignee] = strawberry.field(description="This page's users.")
    total: int = strawberry.field(description="How many users the location has.")

    @classmethod
    def from_page(cls, page: Page[LocationUser]) -> LocationAssigneeList:
        from schema.types.user import User

        return cls(
            items=[
                LocationAssignee(
                    user=User.from_model(one.user),
                    is_primary=one.is_primary,
                    assigned_at=one.assigned_at,
                )
                for one in page.items
            ],
            total=page.total,
        )


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
    key: strawberry.Private[uuid.UUID]
    tenant_key: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, row: LocationModel) -> Location:
        return cls(
            key=row.id,
            tenant_key=row.tenant_id,
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

    @strawberry.field(
        description="Its users, by email; `offset` at most 1000000, `limit` 1 to 100; null "
        "where your permission does not reach its organization. "
        f"{requires(Permission.LOCATIONS_READ)}",
        permission_classes=[HasPermission(Permission.LOCATIONS_READ)],
    )
    async def users(
        self, info: Info[Context, None], offset: int = 0, limit: int = MAX_PAGE
    ) -> LocationAssigneeList | None:
        check_list_arguments(offset=offset, limit=limit, max_limit=MAX_PAGE)
        if not await reaches(info, Permission.LOCATIONS_READ, self.tenant_key):
            return None
        page = await info.context.loaders.users_by_location.load(
            UsersKey(location_id=self.key, offset=offset, limit=limit)
        )
        return LocationAssigneeList.from_page(page)


def _locations(rows: list[LocationModel], shared: dict[Hashable, Any]) -> list[Location]:
    return [Location.from_model(row) for row in rows]


async def tenant_locations(info: Info[Context, None], tenant_id: uuid.UUID) -> list[Location]:
    """``Tenant.locations``: every location of the tenant, by name, when the caller's
    locations:read reaches it (else none)."""
    if not await reaches(info, Permission.LOCATIONS_READ, tenant_id):
        return []
    found: list[Location] | Future[list[Location]] = ready(
        info.context.loaders.locations_by_tenant, tenant_id, _locations
    )
    return await found if isinstance(found, Future) else found


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
