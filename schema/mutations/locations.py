"""Locations: mutations, each a thin call into the locations service."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from identity.permissions import Permission
from identity.services import locations
from identity.services._kit import UNSET
from identity.services.locations import Assignment, LocationChanges, LocationFields
from schema.context import Context
from schema.declare import mutation, needs
from schema.errors import Conflict, NotFound, PermissionDenied, ValidationError
from schema.ids import parse_id, parse_ids
from schema.types.locations import (
    AssignedLocation,
    AssignLocationsInput,
    CreateLocationInput,
    Location,
    LocationDeleted,
    LocationPayload,
    UpdateLocationInput,
    UserLocationsPayload,
)

CreateLocationResult = Annotated[
    LocationPayload | ValidationError | Conflict | NotFound | PermissionDenied,
    strawberry.union("CreateLocationResult", description="The new location, or why not."),
]
UpdateLocationResult = Annotated[
    LocationPayload | ValidationError | Conflict | NotFound | PermissionDenied,
    strawberry.union("UpdateLocationResult", description="The changed location, or why not."),
]
DeleteLocationResult = Annotated[
    LocationDeleted | NotFound | PermissionDenied,
    strawberry.union("DeleteLocationResult", description="It was deleted, or why not."),
]
AssignLocationsResult = Annotated[
    UserLocationsPayload | ValidationError | NotFound | PermissionDenied,
    strawberry.union("AssignLocationsResult", description="The user's locations, or why not."),
]
RemoveUserLocationResult = Annotated[
    UserLocationsPayload | NotFound | PermissionDenied,
    strawberry.union("RemoveUserLocationResult", description="The user's locations, or why not."),
]


def _changes(input: UpdateLocationInput) -> LocationChanges:
    sent: dict[str, Any] = {
        name: value
        for name, value in vars(input).items()
        if value is not strawberry.UNSET and value is not UNSET
    }
    for required in ("name", "code", "is_active"):
        if required in sent and sent[required] is None:
            del sent[required]  # null for a required field: left as it is
    return LocationChanges(**sent)


def _held(user_id: strawberry.ID, held: list[Assignment]) -> UserLocationsPayload:
    return UserLocationsPayload(
        user_id=user_id, locations=[AssignedLocation.from_assignment(one) for one in held]
    )


@strawberry.type
class LocationsMutations:
    @mutation(
        "Create a location in an organization within your reach (its code unique there: "
        "LOCATION_CODE_TAKEN; no organization named, reached or active: TENANT_REQUIRED).",
        access=needs(Permission.LOCATIONS_WRITE),
    )
    async def create_location(
        self, info: Info[Context, None], input: CreateLocationInput
    ) -> CreateLocationResult:
        created = await locations.create_location(
            info.context.deps,
            principal=await info.context.principal(),
            fields=LocationFields(
                name=input.name,
                code=input.code,
                description=input.description,
                address=input.address,
                city=input.city,
                state=input.state,
                country=input.country,
                postal_code=input.postal_code,
                is_active=input.is_active,
            ),
            tenant_id=parse_id(input.tenant_id, field="tenantId") if input.tenant_id else None,
        )
        return LocationPayload(location=Location.from_model(created))

    @mutation(
        "Change a location's fields (its code unique in its organization: LOCATION_CODE_TAKEN).",
        access=needs(Permission.LOCATIONS_WRITE),
    )
    async def update_location(
        self, info: Info[Context, None], id: strawberry.ID, input: UpdateLocationInput
    ) -> UpdateLocationResult:
        updated = await locations.update_location(
            info.context.deps,
            principal=await info.context.principal(),
            location_id=parse_id(id),
            changes=_changes(input),
        )
        return LocationPayload(location=Location.from_model(updated))

    @mutation(
        "Delete a location and its assignments; a user whose primary location it was gets "
        "their earliest assigned remaining one there as primary.",
        access=needs(Permission.LOCATIONS_WRITE),
    )
    async def delete_location(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> DeleteLocationResult:
        await locations.delete_location(
            info.context.deps, principal=await info.context.principal(), location_id=parse_id(id)
        )
        return LocationDeleted(id=id)

    @mutation(
        "Add locations of one organization to a user's (a member of it), one of them primary; "
        "all or nothing.",
        access=needs(Permission.LOCATIONS_WRITE),
    )
    async def assign_locations(
        self, info: Info[Context, None], input: AssignLocationsInput
    ) -> AssignLocationsResult:
        held = await locations.assign_locations(
            info.context.deps,
            principal=await info.context.principal(),
            user_id=parse_id(input.user_id, field="userId"),
            location_ids=parse_ids(input.location_ids, field="locationIds"),
            primary_location_id=(
                parse_id(input.primary_location_id, field="primaryLocationId")
                if input.primary_location_id
                else None
            ),
        )
        return _held(input.user_id, held)

    @mutation(
        "Take a user off a location; when it was their primary one, their earliest assigned "
        "remaining location there becomes primary.",
        access=needs(Permission.LOCATIONS_WRITE),
    )
    async def remove_user_location(
        self, info: Info[Context, None], user_id: strawberry.ID, location_id: strawberry.ID
    ) -> RemoveUserLocationResult:
        held = await locations.remove_user_location(
            info.context.deps,
            principal=await info.context.principal(),
            user_id=parse_id(user_id, field="userId"),
            location_id=parse_id(location_id, field="locationId"),
        )
        return _held(user_id, held)
