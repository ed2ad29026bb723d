"""Two organizations for the location tests: an admin and a member of each, and the rows
as stored (to compare before and after a refused request)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from identity.models import Location, UserLocation
from tests.factories import Caller, new_tenant, tenant_admin, tenant_member
from tests.support.app import runtime

MAIN_OFFICE = {
    "name": "Main Office",
    "code": "MAIN-001",
    "description": "Main office location",
    "address": "123 Business Street",
    "city": "New York",
    "state": "NY",
    "country": "USA",
    "postal_code": "10001",
}


@dataclass(frozen=True, slots=True)
class Side:
    tenant: uuid.UUID
    admin: Caller
    member: Caller


@dataclass(frozen=True, slots=True)
class Places:
    a: Side
    b: Side


async def side(app: FastAPI, slug: str) -> Side:
    tenant = await new_tenant(app, slug)
    return Side(
        tenant=tenant,
        admin=await tenant_admin(app, tenant, f"admin@{slug}.example.com"),
        member=await tenant_member(app, tenant, f"member@{slug}.example.com"),
    )


async def places(app: FastAPI) -> Places:
    return Places(a=await side(app, "acme"), b=await side(app, "globex"))


async def new_location(
    client: httpx.AsyncClient, admin: Caller, code: str, **fields: Any
) -> dict[str, Any]:
    body = {**MAIN_OFFICE, "name": f"Office {code}", "code": code, **fields}
    response = await client.post("/api/v1/locations", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def assign(
    client: httpx.AsyncClient,
    admin: Caller,
    user: uuid.UUID,
    locations: list[str],
    primary: str | None = None,
    *,
    status: int = 200,
) -> httpx.Response:
    body: dict[str, Any] = {"user_id": str(user), "location_ids": locations}
    if primary is not None:
        body["primary_location_id"] = primary
    response = await client.post("/api/v1/locations/assign", json=body, headers=admin.headers)
    assert response.status_code == status, response.text
    return response


async def stored(app: FastAPI) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every location and assignment as stored, in a fixed order."""
    async with runtime(app).database.read() as session:
        found = (await session.scalars(select(Location))).all()
        held = (await session.scalars(select(UserLocation))).all()
    locations = sorted(
        (
            str(one.id),
            str(one.tenant_id),
            one.name,
            one.code,
            one.description,
            one.city,
            one.is_active,
            one.updated_at,
        )
        for one in found
    )
    assignments = sorted(
        (str(one.user_id), str(one.location_id), one.is_primary, one.assigned_at) for one in held
    )
    return locations, assignments
