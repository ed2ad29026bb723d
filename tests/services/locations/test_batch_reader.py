"""The locations batch reader GraphQL's User.locations loader calls: every user's
assignments in one statement, primary ones first, then by name. SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from identity.models import Location, UserLocation
from identity.services.locations import locations_of_users
from tests.factories import add_user, new_tenant
from tests.support.app import runtime
from tests.support.statements import counting


async def test_every_users_locations_in_one_statement(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    tenant, other = await new_tenant(app), await new_tenant(app)
    someone, plain = await add_user(app), await add_user(app)
    now = runtime(app).clock.now()
    async with runtime(app).database.unit_of_work() as session:
        sites = {
            name: Location(
                tenant_id=owner, name=name, code=name.upper(), created_at=now, updated_at=now
            )
            for name, owner in (("beta", tenant), ("alpha", tenant), ("gamma", other))
        }
        session.add_all(sites.values())
        await session.flush()
        session.add_all(
            UserLocation(
                user_id=someone, location_id=site.id, is_primary=name != "alpha", assigned_at=now
            )
            for name, site in sites.items()
        )

    with counting(app) as counter:
        async with runtime(app).database.read() as session:
            found = await locations_of_users(session, [someone, plain, someone])

    assert len(counter.queries) == 1
    assert [(one.location.name, one.is_primary) for one in found[someone]] == [
        ("beta", True),
        ("gamma", True),
        ("alpha", False),
    ]
    assert found[plain] == []
    async with runtime(app).database.read() as session:
        assert await locations_of_users(session, []) == {}
