"""The users page with each user's locations costs a fixed number of SQL statements: one
batch for every user's locations, whether the page holds 5 or 50 users. SQLite and
PostgreSQL."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from identity.models import Location, UserLocation
from tests.factories import add_user, new_tenant, root
from tests.support.app import runtime
from tests.support.graphql import gql
from tests.support.statements import counting

USERS = """{ users(first: 100) { totalCount edges { node {
  email locations { isPrimary assignedAt location { code city } }
} } } }"""


async def assigned_people(app: FastAPI, tenant: uuid.UUID, count: int, start: int) -> None:
    now = runtime(app).clock.now()
    people = [await add_user(app) for _ in range(count)]
    async with runtime(app).database.unit_of_work() as session:
        sites = [
            Location(
                tenant_id=tenant,
                name=f"Site {n}",
                code=f"S-{start + n}",
                city="Oslo",
                created_at=now,
                updated_at=now,
            )
            for n in range(2)
        ]
        session.add_all(sites)
        await session.flush()
        session.add_all(
            UserLocation(
                user_id=person, location_id=site.id, is_primary=index == 0, assigned_at=now
            )
            for person in people
            for index, site in enumerate(sites)
        )


async def statements(app: FastAPI, client: httpx.AsyncClient, token: str) -> list[str]:
    await gql(client, USERS, token=token)
    with counting(app) as counter:
        body = await gql(client, USERS, token=token)
    assert "errors" not in body, body
    edges = body["data"]["users"]["edges"]
    assert sum(len(edge["node"]["locations"]) for edge in edges) >= 10
    batches = [one for one in counter.queries if "FROM user_locations" in one]
    assert len(batches) == 1, counter.queries
    return [one.split("\n")[0][:80] for one in counter.queries]


async def test_users_page_with_locations(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    tenant = await new_tenant(app)
    await assigned_people(app, tenant, 5, 0)
    five = await statements(app, client, token)

    await assigned_people(app, tenant, 45, 100)
    fifty = await statements(app, client, token)

    assert len(five) == len(fifty), (five, fifty)
