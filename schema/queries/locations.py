"""Locations: query fields."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from identity.errors import NotFound
from identity.permissions import Permission
from identity.services import locations
from schema.context import Context
from schema.declare import needs, query
from schema.ids import parse_id
from schema.types.locations import AssignedLocation, Location
from schema.types.pagination import check_list_arguments


@strawberry.type
class LocationsQuery:
    @query(
        "Locations within your reach by name; `search` looks in names, codes and cities; "
        "`offset` at most 1000000, `limit` 1 to 100.",
        access=needs(Permission.LOCATIONS_READ),
    )
    async def locations(
        self,
        info: Info[Context, None],
        search: str | None = None,
        is_active: bool | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> list[Location]:
        check_list_arguments(
            offset=offset, limit=limit, max_limit=locations.MAX_PAGE, texts={"search": search}
        )
        found = await locations.list_locations(
            info.context.deps,
            principal=await info.context.principal(),
            search=search,
            is_active=is_active,
            offset=offset,
            limit=limit,
        )
        return [Location.from_model(one) for one in found]

    @query(
        "One location; null when there is none with this id within your reach.",
        access=needs(Permission.LOCATIONS_READ),
    )
    async def location(self, info: Info[Context, None], id: strawberry.ID) -> Location | None:
        try:
            found = await locations.get_location(
                info.context.deps,
                principal=await info.context.principal(),
                location_id=parse_id(id),
            )
        except NotFound:
            return None
        return Location.from_model(found)

    @query(
        "A user's locations within your reach, primary ones first; null when the user is "
        "not within your reach.",
        access=needs(Permission.LOCATIONS_READ),
    )
    async def user_locations(
        self, info: Info[Context, None], user_id: strawberry.ID
    ) -> list[AssignedLocation] | None:
        try:
            held = await locations.user_locations(
                info.context.deps,
                principal=await info.context.principal(),
                user_id=parse_id(user_id, field="userId"),
            )
        except NotFound:
            return None
        return [AssignedLocation.from_assignment(one) for one in held]
