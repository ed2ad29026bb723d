"""The audit log listings (seed 003's ``/v1/audit/logs``, seed 004's ``/api/v1/audit/logs``):
the super-admin reads every row, a tenant admin only their tenant's (never another tenant's
nor the installation's global rows, whatever the filters), a member nothing. SQLite and
PostgreSQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import (
    Caller,
    new_tenant,
    set_setting,
    super_admin,
    tenant_admin,
    tenant_member,
)

V1 = "/v1/audit/logs"
API = "/api/v1/audit/logs"


@dataclass(frozen=True, slots=True)
class World:
    root: Caller
    a: uuid.UUID
    b: uuid.UUID
    admin_a: Caller
    admin_b: Caller
    member_a: Caller


async def _location(client: httpx.AsyncClient, who: Caller, code: str) -> None:
    response = await client.post(
        "/api/v1/locations", json={"name": f"Site {code}", "code": code}, headers=who.headers
    )
    assert response.status_code == 201, response.text


async def _world(app: FastAPI, client: httpx.AsyncClient) -> World:
    """Rows of two tenants made by real requests (two in A, one in B) and a global one."""
    a, b = await new_tenant(app), await new_tenant(app)
    world = World(
        root=await super_admin(app),
        a=a,
        b=b,
        admin_a=await tenant_admin(app, a),
        admin_b=await tenant_admin(app, b),
        member_a=await tenant_member(app, a),
    )
    await _location(client, world.admin_a, "A-ONE")
    await _location(client, world.admin_a, "A-TWO")
    await _location(client, world.admin_b, "B-ONE")
    await set_setting(app, client, "lockout_threshold", 7)
    return world


async def _logs(
    client: httpx.AsyncClient, who: Caller, path: str = V1, **params: Any
) -> dict[str, Any]:
    response = await client.get(path, params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_super_admin_reads_every_tenants_rows(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    world = await _world(app, client)

    body = await _logs(client, world.root, action="location.created")

    tenants = [one["tenant_id"] for one in body["logs"]]
    assert sorted(tenants) == sorted([str(world.a), str(world.a), str(world.b)])
    assert body["count"] == body["total"] == 3
    assert [one["details"].get("code") or one["resource_id"] for one in body["logs"]]
    everything = await _logs(client, world.root, limit=100)
    assert any(one["event_type"] == "setting.updated" for one in everything["logs"])
    moments = [one["created_at"] for one in everything["logs"]]
    assert moments == sorted(moments, reverse=True)


async def test_a_tenant_admin_reads_only_their_tenants_rows(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    world = await _world(app, client)

    mine = await _logs(client, world.admin_a, limit=100)
    paged = await _logs(client, world.admin_a, API, size=100)
    theirs = await _logs(client, world.admin_a, user_id=str(world.admin_b.id))
    by_resource = await _logs(client, world.admin_a, API, action="setting")

    assert {one["tenant_id"] for one in mine["logs"]} == {str(world.a)}
    assert [one["event_type"] for one in mine["logs"]].count("location.created") == 2
    assert mine["total"] == paged["total"] == len(paged["items"])
    assert [one["id"] for one in mine["logs"]] == [one["id"] for one in paged["items"]]
    assert theirs == {"logs": [], "limit": 50, "offset": 0, "count": 0, "total": 0}
    assert by_resource["items"] == []
    assert by_resource["total"] == 0


async def test_a_member_without_audit_read_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    world = await _world(app, client)

    for path in (V1, API):
        response = await client.get(path, headers=world.member_a.headers)
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "PERMISSION_DENIED"
    anonymous = await client.get(V1)
    assert anonymous.status_code == 401


async def test_filters_and_pages(app: FastAPI, client: httpx.AsyncClient) -> None:
    world = await _world(app, client)

    first = await _logs(client, world.admin_a, API, page=1, size=1, action="location")
    second = await _logs(client, world.admin_a, API, page=2, size=1, action="location")
    by_user = await _logs(client, world.root, user_id=str(world.admin_b.id))
    offset = await _logs(client, world.root, action="location.created", limit=2, offset=2)
    failures = await _logs(client, world.root, status="failure")
    successes = await _logs(client, world.admin_a, API, status="success", resource="locations")
    blank = await _logs(client, world.admin_a, API, user_id="", action="", resource="", status="")

    assert (first["total"], first["pages"], len(first["items"])) == (2, 2, 1)
    assert first["items"][0]["id"] != second["items"][0]["id"]
    assert first["items"][0]["created_at"] >= second["items"][0]["created_at"]
    assert {one["tenant_id"] for one in by_user["logs"]} == {str(world.b)}
    assert by_user["total"] >= 1
    assert (offset["count"], offset["total"], offset["offset"]) == (1, 3, 2)
    assert failures["total"] == 0
    assert successes["total"] == 2
    assert {one["status"] for one in successes["items"]} == {"success"}
    assert blank["total"] >= 2


async def test_failures_and_dates(app: FastAPI, client: httpx.AsyncClient) -> None:
    email = f"audit-{uuid.uuid4().hex[:8]}@example.com"
    root = await super_admin(app, email)
    refused = await client.post("/v1/auth/login", json={"email": email, "password": "Wrong-1"})
    assert refused.status_code == 401

    failures = await _logs(client, root, API, status="failure", user_id=str(root.id))
    since = await _logs(client, root, API, start_date="2000-01-01", user_id=str(root.id))
    later = await _logs(client, root, API, start_date="2999-01-01T00:00:00Z")
    before = await _logs(client, root, API, end_date="2000-01-01", status="failure")

    assert [one["status"] for one in failures["items"]] == ["failure"]
    assert failures["items"][0]["event_type"] == "login.failed"
    assert failures["items"][0]["tenant_id"] is None
    assert since["total"] >= 1
    assert later["total"] == before["total"] == 0


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        (V1, {"user_id": "not-a-uuid"}, "user_id"),
        (API, {"user_id": "1234"}, "user_id"),
        (V1, {"status": "maybe"}, "status"),
        (API, {"status": "SUCCESS"}, "status"),
        (V1, {"limit": 101}, "limit"),
        (V1, {"limit": 0}, "limit"),
        (V1, {"offset": -1}, "offset"),
        (API, {"size": 500}, "size"),
        (API, {"page": 0}, "page"),
        (API, {"action": "x" * 101}, "action"),
        (V1, {"resource": "bad\x00"}, "resource"),
        (API, {"start_date": "yesterday"}, "start_date"),
        (API, {"end_date": "2025-13-01"}, "end_date"),
    ],
)
async def test_malformed_input_is_422(
    app: FastAPI, client: httpx.AsyncClient, path: str, params: dict[str, Any], field: str
) -> None:
    root = await super_admin(app)

    response = await client.get(path, params=params, headers=root.headers)

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in str(error["details"])
