"""Seed 004's nine location routes, as its examples write them, by an organization admin
(their active organization owns what they create). SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.rest.locations.places import MAIN_OFFICE, assign, new_location, places
from tests.support.audit import audit_events


async def test_create_list_get_update_delete(app: FastAPI, client: httpx.AsyncClient) -> None:
    world = await places(app)
    admin = world.a.admin

    created = await client.post("/api/v1/locations", json=MAIN_OFFICE, headers=admin.headers)
    assert created.status_code == 201, created.text
    location = created.json()
    assert {key: location[key] for key in MAIN_OFFICE} == MAIN_OFFICE
    assert location["organization_id"] == location["tenant_id"] == str(world.a.tenant)
    assert location["is_active"] is True
    one = location["id"]

    listed = await client.get(
        "/api/v1/locations?skip=0&limit=100&search=&is_active=true", headers=admin.headers
    )
    assert listed.status_code == 200, listed.text
    assert [item["id"] for item in listed.json()] == [one]

    got = await client.get(f"/api/v1/locations/{one}", headers=admin.headers)
    assert got.status_code == 200
    assert got.json() == location

    update = {
        "name": "Updated Main Office",
        "description": "Updated main office location",
        "address": "456 Updated Business Street",
        "city": "New York",
        "state": "NY",
        "country": "USA",
        "postal_code": "10002",
        "is_active": True,
    }
    updated = await client.put(f"/api/v1/locations/{one}", json=update, headers=admin.headers)
    assert updated.status_code == 200, updated.text
    assert {key: updated.json()[key] for key in update} == update
    assert updated.json()["code"] == "MAIN-001"

    deleted = await client.delete(f"/api/v1/locations/{one}", headers=admin.headers)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {"message": "Location deleted", "id": one}
    gone = await client.get(f"/api/v1/locations/{one}", headers=admin.headers)
    assert gone.status_code == 404
    events = [row.event_type for row in await audit_events(app) if row.resource == "locations"]
    assert sorted(events) == ["location.created", "location.deleted", "location.updated"]
    assert {row.tenant_id for row in await audit_events(app) if row.resource == "locations"} == {
        world.a.tenant
    }


async def test_assign_user_locations_remove_and_location_users(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    world = await places(app)
    admin, member = world.a.admin, world.a.member
    first = (await new_location(client, admin, "L-1"))["id"]
    second = (await new_location(client, admin, "L-2"))["id"]

    assigned = await assign(client, admin, member.id, [first, second], first)
    assert assigned.json()["primary_location_id"] == first
    assert [(one["id"], one["is_primary"]) for one in assigned.json()["locations"]] == [
        (first, True),
        (second, False),
    ]

    mine = await client.get(f"/api/v1/locations/user/{member.id}", headers=admin.headers)
    assert mine.status_code == 200, mine.text
    assert mine.json()["locations"] == assigned.json()["locations"]

    users = await client.get(
        f"/api/v1/locations/{first}/users?skip=0&limit=100", headers=admin.headers
    )
    assert users.status_code == 200, users.text
    assert users.json()["total"] == 1
    assert [(one["id"], one["is_primary"]) for one in users.json()["users"]] == [
        (str(member.id), True)
    ]

    removed = await client.delete(
        f"/api/v1/locations/user/{member.id}/location/{first}", headers=admin.headers
    )
    assert removed.status_code == 200, removed.text
    # The primary location went: the remaining one is primary now.
    assert removed.json()["primary_location_id"] == second
    assert [(one["id"], one["is_primary"]) for one in removed.json()["locations"]] == [
        (second, True)
    ]
    again = await client.delete(
        f"/api/v1/locations/user/{member.id}/location/{first}", headers=admin.headers
    )
    assert again.status_code == 404
    events = [row for row in await audit_events(app) if row.event_type.startswith("location.")]
    assert {row.event_type for row in events} >= {
        "location.users_assigned",
        "location.user_removed",
    }
    assert all(row.tenant_id == world.a.tenant for row in events)
