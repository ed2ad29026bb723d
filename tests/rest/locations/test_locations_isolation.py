"""An organization admin acting on another organization's locations and users: every
route answers 404 (never 403) and changes nothing; lists hold only their own. SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from tests.rest.locations.places import assign, new_location, places, stored


async def test_another_organizations_ids_are_not_found(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    world = await places(app)
    mine = (await new_location(client, world.a.admin, "MINE"))["id"]
    theirs = (await new_location(client, world.b.admin, "THEIRS"))["id"]
    await assign(client, world.b.admin, world.b.member.id, [theirs])
    await assign(client, world.a.admin, world.a.member.id, [mine])
    before = await stored(app)
    me, them = str(world.a.member.id), str(world.b.member.id)

    requests: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/api/v1/locations/{theirs}", None),
        ("PUT", f"/api/v1/locations/{theirs}", {"name": "Taken over"}),
        ("DELETE", f"/api/v1/locations/{theirs}", None),
        ("GET", f"/api/v1/locations/{theirs}/users", None),
        ("POST", "/api/v1/locations/assign", {"user_id": me, "location_ids": [theirs]}),
        ("POST", "/api/v1/locations/assign", {"user_id": them, "location_ids": [mine]}),
        ("GET", f"/api/v1/locations/user/{them}", None),
        ("DELETE", f"/api/v1/locations/user/{them}/location/{theirs}", None),
        ("DELETE", f"/api/v1/locations/user/{them}/location/{mine}", None),
        ("DELETE", f"/api/v1/locations/user/{me}/location/{theirs}", None),
        (
            "POST",
            "/api/v1/locations",
            {"name": "Branch", "code": "BRANCH", "organization_id": str(world.b.tenant)},
        ),
    ]
    answers = {
        f"{method} {path} {body}": await client.request(
            method, path, json=body, headers=world.a.admin.headers
        )
        for method, path, body in requests
    }

    outcomes = {
        key: (answer.status_code, answer.json()["error"]["code"]) for key, answer in answers.items()
    }
    assert outcomes == dict.fromkeys(answers, (404, "RESOURCE_NOT_FOUND"))
    assert await stored(app) == before

    listed = await client.get("/api/v1/locations", headers=world.a.admin.headers)
    assert [item["id"] for item in listed.json()] == [mine]
