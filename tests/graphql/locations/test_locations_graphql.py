"""Locations over GraphQL: every field's happy path, its refusals as union members, another
organization's ids as not found (nothing changed), and User.locations. SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from tests.rest.locations.places import assign, new_location, places, stored
from tests.support.graphql import gql, gql_field, outcome

LOCATION = "id tenantId name code city isActive"
CREATE = (
    "mutation($input: CreateLocationInput!) { createLocation(input: $input) { __typename "
    f"... on LocationPayload {{ location {{ {LOCATION} }} }} ... on Error {{ code field }} }} }}"
)
UPDATE = (
    "mutation($id: ID!, $input: UpdateLocationInput!) { updateLocation(id: $id, input: $input) "
    f"{{ __typename ... on LocationPayload {{ location {{ {LOCATION} description }} }} "
    "... on Error { code field } } }"
)
DELETE = (
    "mutation($id: ID!) { deleteLocation(id: $id) { __typename "
    "... on LocationDeleted { id } ... on Error { code } } }"
)
HELD = "userId locations { isPrimary location { id code } }"
ASSIGN = (
    "mutation($input: AssignLocationsInput!) { assignLocations(input: $input) { __typename "
    f"... on UserLocationsPayload {{ {HELD} }} ... on Error {{ code field }} }} }}"
)
REMOVE = (
    "mutation($user: ID!, $location: ID!) { removeUserLocation(userId: $user, "
    f"locationId: $location) {{ __typename ... on UserLocationsPayload {{ {HELD} }} "
    "... on Error { code } } }"
)
LIST = "query($search: String) { locations(search: $search) { code } }"
ONE = f"query($id: ID!) {{ location(id: $id) {{ {LOCATION} }} }}"
USER_LOCATIONS = "query($id: ID!) { user(id: $id) { locations { isPrimary location { code } } } }"


def _held(result: dict[str, Any]) -> list[tuple[str, bool]]:
    return [(one["location"]["code"], one["isPrimary"]) for one in result["locations"]]


async def test_every_field(app: FastAPI, client: httpx.AsyncClient) -> None:
    world = await places(app)
    token = world.a.admin.token

    created = await gql_field(
        client, CREATE, {"input": {"name": "Main Office", "code": "main-001"}}, token=token
    )
    assert created["__typename"] == "LocationPayload", created
    location = created["location"]
    assert (location["code"], location["tenantId"]) == ("MAIN-001", str(world.a.tenant))
    taken = await gql_field(
        client, CREATE, {"input": {"name": "Again", "code": "MAIN-001"}}, token=token
    )
    assert (taken["code"], taken["field"]) == ("LOCATION_CODE_TAKEN", "code")
    bad = await gql_field(client, CREATE, {"input": {"name": "X", "code": "a b"}}, token=token)
    assert (bad["code"], bad["field"]) == ("VALIDATION_ERROR", "code")

    updated = await gql_field(
        client,
        UPDATE,
        {"id": location["id"], "input": {"city": "Boston", "description": "HQ"}},
        token=token,
    )
    assert updated["location"]["city"] == "Boston"
    assert updated["location"]["name"] == "Main Office"
    cleared = await gql_field(
        client, UPDATE, {"id": location["id"], "input": {"city": None}}, token=token
    )
    assert cleared["location"]["city"] is None
    assert cleared["location"]["description"] == "HQ"

    listed = await gql_field(client, LIST, {"search": "main"}, token=token)
    assert listed == [{"code": "MAIN-001"}]
    one = await gql_field(client, ONE, {"id": location["id"]}, token=token)
    assert one["code"] == "MAIN-001"

    second = (await new_location(client, world.a.admin, "SECOND"))["id"]
    member = str(world.a.member.id)
    assigned = await gql_field(
        client,
        ASSIGN,
        {"input": {"userId": member, "locationIds": [location["id"], second]}},
        token=token,
    )
    assert _held(assigned) == [("MAIN-001", True), ("SECOND", False)]
    seen = await gql_field(client, USER_LOCATIONS, {"id": member}, token=token)
    assert _held(seen) == [("MAIN-001", True), ("SECOND", False)]
    listed_for = await gql_field(
        client,
        "query($id: ID!) { userLocations(userId: $id) { isPrimary location { code } } }",
        {"id": member},
        token=token,
    )
    assert _held({"locations": listed_for}) == [("MAIN-001", True), ("SECOND", False)]

    removed = await gql_field(
        client, REMOVE, {"user": member, "location": location["id"]}, token=token
    )
    assert _held(removed) == [("SECOND", True)]

    deleted = await gql_field(client, DELETE, {"id": second}, token=token)
    assert deleted == {"__typename": "LocationDeleted", "id": second}
    assert await gql_field(client, ONE, {"id": second}, token=token) is None
    assert (await stored(app))[1] == []


async def test_another_organizations_ids_are_not_found(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    world = await places(app)
    mine = (await new_location(client, world.a.admin, "MINE"))["id"]
    theirs = (await new_location(client, world.b.admin, "THEIRS"))["id"]
    await assign(client, world.b.admin, world.b.member.id, [theirs])
    before = await stored(app)
    token = world.a.admin.token
    me, them = str(world.a.member.id), str(world.b.member.id)

    outcomes = [
        await gql_field(client, UPDATE, {"id": theirs, "input": {"name": "X"}}, token=token),
        await gql_field(client, DELETE, {"id": theirs}, token=token),
        await gql_field(
            client, ASSIGN, {"input": {"userId": me, "locationIds": [theirs]}}, token=token
        ),
        await gql_field(
            client, ASSIGN, {"input": {"userId": them, "locationIds": [mine]}}, token=token
        ),
        await gql_field(client, REMOVE, {"user": them, "location": theirs}, token=token),
        await gql_field(
            client,
            CREATE,
            {"input": {"name": "B", "code": "B", "tenantId": str(world.b.tenant)}},
            token=token,
        ),
    ]

    assert [one["code"] for one in outcomes] == ["RESOURCE_NOT_FOUND"] * len(outcomes)
    assert await stored(app) == before
    assert await gql_field(client, ONE, {"id": theirs}, token=token) is None
    assert await gql_field(client, LIST, {}, token=token) == [{"code": "MINE"}]
    # The member of B is out of A's reach: not found as a user, and nothing of theirs.
    body = await gql(client, USER_LOCATIONS, {"id": them}, token=token)
    assert body.get("data", {}).get("user") is None


async def test_a_user_sees_their_own_locations(app: FastAPI, client: httpx.AsyncClient) -> None:
    world = await places(app)
    location = (await new_location(client, world.a.admin, "HOME"))["id"]
    await assign(client, world.a.admin, world.a.member.id, [location])

    me = await gql_field(
        client,
        "{ me { locations { isPrimary location { code } } } }",
        token=world.a.member.token,
    )

    assert _held(me) == [("HOME", True)]


async def test_members_and_strangers_are_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    world = await places(app)
    variables = {"input": {"name": "Main Office", "code": "MAIN"}}

    member = await gql(client, CREATE, variables, token=world.a.member.token)
    anonymous = await gql(client, CREATE, variables)

    assert outcome(member, "createLocation") == "PERMISSION_DENIED"
    assert outcome(anonymous, "createLocation") == "AUTHENTICATION_REQUIRED"
    assert await stored(app) == ([], [])
