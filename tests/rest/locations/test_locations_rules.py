"""Location rules over REST: field validation, codes unique within an organization, the
organization a new location belongs to, assignment all-or-nothing with one primary, and
deletion taking assignments with it. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from tests.factories import add_member, add_user, super_admin, tenant_token
from tests.rest.locations.places import MAIN_OFFICE, assign, new_location, places, stored

BAD_FIELDS = [
    ({"name": "  "}, "name"),
    ({"name": "Main\u202eOffice"}, "name"),
    ({"code": "has space"}, "code"),
    ({"code": "-LEADING"}, "code"),
    ({"code": "X" * 51}, "code"),
    ({"city": "C" * 101}, "city"),
    ({"postal_code": "1\n2"}, "postal_code"),
]


async def test_bad_fields_are_refused_and_nothing_is_stored(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    world = await places(app)
    for change, field in BAD_FIELDS:
        response = await client.post(
            "/api/v1/locations", json={**MAIN_OFFICE, **change}, headers=world.a.admin.headers
        )
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "VALIDATION_ERROR"
        assert field in str(error["details"]), error
    assert await stored(app) == ([], [])


async def test_codes_are_unique_per_organization_ignoring_case(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    world = await places(app)
    first = await new_location(client, world.a.admin, "main-001")
    assert first["code"] == "MAIN-001"
    elsewhere = await new_location(client, world.b.admin, "MAIN-001")
    assert elsewhere["organization_id"] == str(world.b.tenant)

    again = await client.post("/api/v1/locations", json=MAIN_OFFICE, headers=world.a.admin.headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "LOCATION_CODE_TAKEN"

    other = await new_location(client, world.a.admin, "OTHER")
    renamed = await client.put(
        f"/api/v1/locations/{other['id']}", json={"code": "Main-001"}, headers=world.a.admin.headers
    )
    assert renamed.status_code == 409
    assert renamed.json()["error"]["code"] == "LOCATION_CODE_TAKEN"


async def test_the_organization_of_a_new_location(app: FastAPI, client: httpx.AsyncClient) -> None:
    world = await places(app)
    root = await super_admin(app)

    nowhere = await client.post("/api/v1/locations", json=MAIN_OFFICE, headers=root.headers)
    assert nowhere.status_code == 422
    assert nowhere.json()["error"]["code"] == "TENANT_REQUIRED"

    named = await client.post(
        "/api/v1/locations",
        json={**MAIN_OFFICE, "organization_id": str(world.b.tenant)},
        headers=root.headers,
    )
    assert named.status_code == 201, named.text
    assert named.json()["organization_id"] == str(world.b.tenant)

    unknown = await client.post(
        "/api/v1/locations",
        json={**MAIN_OFFICE, "organization_id": "00000000-0000-0000-0000-000000000001"},
        headers=root.headers,
    )
    assert unknown.status_code == 404

    # A super-admin acting in an organization creates there.
    await add_member(app, world.a.tenant, root.id)
    acting = await tenant_token(app, root.id, world.a.tenant)
    active = await client.post(
        "/api/v1/locations",
        json={**MAIN_OFFICE, "code": "ACTIVE"},
        headers={"Authorization": f"Bearer {acting}"},
    )
    assert active.status_code == 201, active.text
    assert active.json()["organization_id"] == str(world.a.tenant)


async def test_assigning_is_all_or_nothing(app: FastAPI, client: httpx.AsyncClient) -> None:
    world = await places(app)
    admin, member = world.a.admin, world.a.member
    kept = (await new_location(client, admin, "KEPT"))["id"]
    await assign(client, admin, member.id, [kept])
    fresh = (await new_location(client, admin, "FRESH"))["id"]
    before = await stored(app)

    unknown = "00000000-0000-0000-0000-000000000001"
    missing = await assign(client, admin, member.id, [fresh, unknown], fresh, status=404)
    assert missing.json()["error"]["details"]["missing"] == [unknown]
    wrong_primary = await assign(client, admin, member.id, [fresh], kept, status=422)
    assert wrong_primary.json()["error"]["details"]["field"] == "primary_location_id"
    await assign(client, admin, member.id, [], status=422)
    stranger = await add_user(app)  # a member of no organization
    await assign(client, admin, stranger, [fresh], status=404)

    assert await stored(app) == before


async def test_assigning_adds_and_keeps_one_primary(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    world = await places(app)
    admin, member = world.a.admin, world.a.member
    one, two, three = [
        (await new_location(client, admin, code))["id"] for code in ("ONE", "TWO", "THREE")
    ]

    first = await assign(client, admin, member.id, [one, two])
    assert first.json()["primary_location_id"] == one  # none before: the first named
    second = await assign(client, admin, member.id, [three])
    assert second.json()["primary_location_id"] == one  # kept
    third = await assign(client, admin, member.id, [three, two], two)
    held = {item["id"]: item["is_primary"] for item in third.json()["locations"]}
    assert held == {one: False, two: True, three: False}


async def test_parallel_assignments_leave_one_primary(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    world = await places(app)
    admin, member = world.a.admin, world.a.member
    ids = [(await new_location(client, admin, f"P-{n}"))["id"] for n in range(6)]

    answers = await asyncio.gather(
        *(
            client.post(
                "/api/v1/locations/assign",
                json={"user_id": str(member.id), "location_ids": [one], "primary_location_id": one},
                headers=admin.headers,
            )
            for one in ids
        )
    )

    assert {answer.status_code for answer in answers} == {200}, [a.text for a in answers]
    _, assignments = await stored(app)
    assert len(assignments) == 6
    assert sum(1 for row in assignments if row[2]) == 1


async def test_deleting_a_location_removes_its_assignments(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    world = await places(app)
    admin, member = world.a.admin, world.a.member
    doomed = (await new_location(client, admin, "DOOMED"))["id"]
    other = (await new_location(client, admin, "OTHER"))["id"]
    await assign(client, admin, member.id, [doomed, other], doomed)

    deleted = await client.delete(f"/api/v1/locations/{doomed}", headers=admin.headers)
    assert deleted.status_code == 200, deleted.text

    _, assignments = await stored(app)
    assert [(row[1], row[2]) for row in assignments] == [(other, True)]


async def test_lists_filter_search_and_page(app: FastAPI, client: httpx.AsyncClient) -> None:
    world = await places(app)
    admin = world.a.admin
    await new_location(client, admin, "NYC", name="New York", city="New York")
    await new_location(client, admin, "BOS", name="Boston", city="Boston", is_active=False)
    await new_location(client, world.b.admin, "NYC", name="New York B")

    def names(response: httpx.Response) -> list[str]:
        assert response.status_code == 200, response.text
        return [item["name"] for item in response.json()]

    assert names(await client.get("/api/v1/locations", headers=admin.headers)) == [
        "Boston",
        "New York",
    ]
    active = await client.get("/api/v1/locations?is_active=true", headers=admin.headers)
    assert names(active) == ["New York"]
    assert names(await client.get("/api/v1/locations?search=bos", headers=admin.headers)) == [
        "Boston"
    ]
    page = await client.get("/api/v1/locations?skip=1&limit=1", headers=admin.headers)
    assert names(page) == ["New York"]
    too_many = await client.get("/api/v1/locations?limit=101", headers=admin.headers)
    assert too_many.status_code == 422
    member = await client.get("/api/v1/locations", headers=world.a.member.headers)
    assert member.status_code == 403


async def test_deleting_a_primary_location_beside_an_assignment_leaves_one_primary(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    world = await places(app)
    admin, member = world.a.admin, world.a.member
    doomed, other, third = [
        (await new_location(client, admin, code))["id"] for code in ("DOOMED", "OTHER", "THIRD")
    ]
    await assign(client, admin, member.id, [doomed, other], doomed)

    deleted, assigned = await asyncio.gather(
        client.delete(f"/api/v1/locations/{doomed}", headers=admin.headers),
        client.post(
            "/api/v1/locations/assign",
            json={"user_id": str(member.id), "location_ids": [third]},
            headers=admin.headers,
        ),
    )

    assert (deleted.status_code, assigned.status_code) == (200, 200), assigned.text
    _, assignments = await stored(app)
    assert sorted(row[1] for row in assignments) == sorted([other, third])
    assert sum(1 for row in assignments if row[2]) == 1
