"""Seed 004's locations: ``/api/v1/locations*``.

Seed 004 grants by level (super admin: every organization; organization admin: their own);
here each route asks the service, which requires ``locations:read`` or ``locations:write``
where the caller's permission reaches (a location or user of another organization: 404).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

from identity.models import Location
from identity.rest.bodies import Body
from identity.rest.deps import DepsDep, PrincipalDep
from identity.rest.openapi.bodies import plain_text_pattern
from identity.rest.params import FilterText, Id, Offset
from identity.rest.responses.locations import (
    LocationDeletedOut,
    LocationOut,
    LocationUsersOut,
    UserLocationsOut,
)
from identity.rest.routing import row
from identity.rest.shapes import when
from identity.services import locations
from identity.services._kit import UNSET
from identity.services.locations import Assignment, LocationChanges, LocationFields
from identity.services.locations.common import LIMITS

PageSize = Annotated[int, Ge(1), Le(locations.MAX_PAGE)]
"""``limit`` of locations lists: 1 to 100."""

_TEXT = 1000
CODE_PATTERN = r"^\s*[A-Za-z0-9]([A-Za-z0-9_.-]{0,48}[A-Za-z0-9])?\s*$"
ORGANIZATION_RULE: JsonDict = {
    "description": "Name the organization with `organization_id` (or `tenant_id`); a caller "
    "acting in one (an organization admin) may leave both out.",
    "anyOf": [
        {"required": ["organization_id"], "properties": {"organization_id": {"type": "string"}}},
        {"required": ["tenant_id"], "properties": {"tenant_id": {"type": "string"}}},
    ],
}


def _text(limit: int, *, required: bool = False) -> Any:
    """A text field as the service checks it: at most ``limit`` characters, none that
    ``text_rules`` refuses (documented; the service refuses them with 422)."""
    extra: JsonDict = {"pattern": plain_text_pattern()}
    if required:
        return Field(max_length=limit, json_schema_extra=extra)
    return Field(None, max_length=limit, json_schema_extra=extra)


def _code(*, required: bool) -> Any:
    extra: JsonDict = {"pattern": CODE_PATTERN}
    if required:
        return Field(max_length=_TEXT, json_schema_extra=extra)
    return Field(None, max_length=_TEXT, json_schema_extra=extra)


class CreateLocationBody(Body):
    model_config = ConfigDict(extra="ignore", json_schema_extra=ORGANIZATION_RULE)

    name: str = Field(max_length=LIMITS["name"])
    code: str = _code(required=True)
    description: str | None = _text(LIMITS["description"])
    address: str | None = _text(LIMITS["address"])
    city: str | None = _text(LIMITS["city"])
    state: str | None = _text(LIMITS["state"])
    country: str | None = _text(LIMITS["country"])
    postal_code: str | None = _text(LIMITS["postal_code"])
    is_active: bool = True
    organization_id: uuid.UUID | None = None
    tenant_id: uuid.UUID | None = None

    def fields(self) -> LocationFields:
        return LocationFields(
            name=self.name,
            code=self.code,
            description=self.description,
            address=self.address,
            city=self.city,
            state=self.state,
            country=self.country,
            postal_code=self.postal_code,
            is_active=self.is_active,
        )


class UpdateLocationBody(Body):
    """The fields sent change (``null`` clears an optional one); the others stay."""

    name: str | None = Field(None, max_length=LIMITS["name"])
    code: str | None = _code(required=False)
    description: str | None = _text(LIMITS["description"])
    address: str | None = _text(LIMITS["address"])
    city: str | None = _text(LIMITS["city"])
    state: str | None = _text(LIMITS["state"])
    country: str | None = _text(LIMITS["country"])
    postal_code: str | None = _text(LIMITS["postal_code"])
    is_active: bool | None = None

    def changes(self) -> LocationChanges:
        sent = {name: getattr(self, name) for name in self.model_fields_set}
        for required in ("name", "code", "is_active"):
            if sent.get(required, UNSET) is None:
                del sent[required]  # null for a required field: left as it is
        return LocationChanges(**sent)


class AssignBody(Body):
    user_id: Id
    location_ids: list[Id] = Field(min_length=1, max_length=locations.MAX_ASSIGN)
    primary_location_id: Id | None = None


def location_json(location: Location) -> dict[str, Any]:
    return {
        "id": str(location.id),
        "name": location.name,
        "code": location.code,
        "description": location.description,
        "address": location.address,
        "city": location.city,
        "state": location.state,
        "country": location.country,
        "postal_code": location.postal_code,
        "is_active": location.is_active,
        "organization_id": str(location.tenant_id),
        "tenant_id": str(location.tenant_id),
        "created_at": when(location.created_at),
        "updated_at": when(location.updated_at),
    }


def _user_locations(user_id: uuid.UUID, held: list[Assignment], message: str) -> dict[str, Any]:
    primary = next((one.location.id for one in held if one.is_primary), None)
    return {
        "message": message,
        "user_id": str(user_id),
        "primary_location_id": str(primary) if primary else None,
        "locations": [
            {
                **location_json(one.location),
                "is_primary": one.is_primary,
                "assigned_at": when(one.assigned_at),
            }
            for one in held
        ],
    }


async def list_locations(
    deps: DepsDep,
    principal: PrincipalDep,
    skip: Offset = 0,
    limit: PageSize = locations.MAX_PAGE,
    search: FilterText | None = None,
    is_active: bool | None = None,
    organization_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    found = await locations.list_locations(
        deps,
        principal=principal,
        search=search,
        is_active=is_active,
        tenant_id=organization_id,
        offset=skip,
        limit=limit,
    )
    return [location_json(one) for one in found]


async def create_location(
    body: CreateLocationBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    created = await locations.create_location(
        deps,
        principal=principal,
        fields=body.fields(),
        tenant_id=body.organization_id or body.tenant_id,
    )
    return location_json(created)


async def get_location(location_id: Id, deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    found = await locations.get_location(deps, principal=principal, location_id=location_id)
    return location_json(found)


async def update_location(
    location_id: Id, body: UpdateLocationBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    updated = await locations.update_location(
        deps, principal=principal, location_id=location_id, changes=body.changes()
    )
    return location_json(updated)


async def delete_location(
    location_id: Id, deps: DepsDep, principal: PrincipalDep
) -> dict[str, str]:
    await locations.delete_location(deps, principal=principal, location_id=location_id)
    return {"message": "Location deleted", "id": str(location_id)}


async def assign_locations(
    body: AssignBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    held = await locations.assign_locations(
        deps,
        principal=principal,
        user_id=body.user_id,
        location_ids=body.location_ids,
        primary_location_id=body.primary_location_id,
    )
    return _user_locations(body.user_id, held, "Locations assigned")


async def user_locations(user_id: Id, deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    held = await locations.user_locations(deps, principal=principal, user_id=user_id)
    return _user_locations(user_id, held, "Locations of the user")


async def remove_user_location(
    user_id: Id, location_id: Id, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    held = await locations.remove_user_location(
        deps, principal=principal, user_id=user_id, location_id=location_id
    )
    return _user_locations(user_id, held, "User removed from location")


async def location_users(
    location_id: Id,
    deps: DepsDep,
    principal: PrincipalDep,
    skip: Offset = 0,
    limit: PageSize = locations.MAX_PAGE,
) -> dict[str, Any]:
    page = await locations.location_users(
        deps, principal=principal, location_id=location_id, offset=skip, limit=limit
    )
    return {
        "location_id": str(location_id),
        "users": [
            {
                "id": str(one.user_id),
                "user_id": str(one.user_id),
                "email": one.email,
                "username": one.username,
                "first_name": one.first_name,
                "last_name": one.last_name,
                "display_name": one.display_name,
                "is_active": one.is_active,
                "is_primary": one.is_primary,
                "assigned_at": when(one.assigned_at),
            }
            for one in page.items
        ],
        "total": page.total,
        "skip": page.offset,
        "limit": page.limit,
    }


API_V1 = "/api/v1/locations"
ONE = API_V1 + "/{location_id}"

# The literal paths (assign, user/...) come before /{location_id}.
ROUTES = (
    row(
        "GET",
        API_V1,
        list_locations,
        "List locations (locations:read)",
        seeds="004",
        response=list[LocationOut],
    ),
    row(
        "POST",
        API_V1,
        create_location,
        "Create a location in an organization (locations:write)",
        seeds="004",
        response=LocationOut,
        status_code=201,
    ),
    row(
        "POST",
        API_V1 + "/assign",
        assign_locations,
        "Assign locations to a user, one of them primary (locations:write)",
        seeds="004",
        response=UserLocationsOut,
    ),
    row(
        "GET",
        API_V1 + "/user/{user_id}",
        user_locations,
        "A user's locations, the primary first (locations:read)",
        seeds="004",
        response=UserLocationsOut,
    ),
    row(
        "DELETE",
        API_V1 + "/user/{user_id}/location/{location_id}",
        remove_user_location,
        "Take a user off a location (locations:write)",
        seeds="004",
        response=UserLocationsOut,
    ),
    row("GET", ONE, get_location, "A location (locations:read)", seeds="004", response=LocationOut),
    row(
        "PUT",
        ONE,
        update_location,
        "Change a location (locations:write)",
        seeds="004",
        response=LocationOut,
    ),
    row(
        "DELETE",
        ONE,
        delete_location,
        "Delete a location and its assignments (locations:write)",
        seeds="004",
        response=LocationDeletedOut,
    ),
    row(
        "GET",
        ONE + "/users",
        location_users,
        "Users assigned to a location, by email (locations:read)",
        seeds="004",
        response=LocationUsersOut,
    ),
)
