"""Tenants at seed 003's ``/v1/tenants*`` and seed 004's ``/api/v1/organizations*``: the seeds'
requests answered as written, one tenant behind both. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from tests.factories import add_user, caller, root
from tests.support.audit import audit_events

SEED_004_BODY = {
    "name": "Test Organization",
    "slug": "test-org",
    "description": "A test organization",
    "max_users": 100,
}


async def test_seed_003_tenant_routes(app: FastAPI, client: httpx.AsyncClient) -> None:
    admin = await root(app)
    created = await client.post(
        "/v1/tenants",
        json={"name": "Acme", "slug": "acme", "settings": {"allow_self_registration": True}},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    tenant = created.json()
    assert tenant["slug"] == "acme"
    assert tenant["settings"] == {"allow_self_registration": True}
    assert tenant["max_users"] is None
    assert tenant["is_active"] is True
    assert tenant["member_count"] == 0
    one = f"/v1/tenants/{tenant['id']}"

    listed = await client.get("/v1/tenants", headers=admin.headers)
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["tenants"]] == [tenant["id"]]
    assert listed.json()["total"] == 1

    user_id = await add_user(app, "member@example.com")
    added = await client.post(f"{one}/users/{user_id}", headers=admin.headers)
    assert added.status_code == 200, added.text
    assert added.json()["changed"] is True
    again = await client.post(f"{one}/users/{user_id}", headers=admin.headers)
    assert again.json()["changed"] is False

    members = await client.get(f"{one}/users?limit=20&offset=0", headers=admin.headers)
    assert members.status_code == 200, members.text
    body = members.json()
    assert [row["email"] for row in body["users"]] == ["member@example.com"]
    assert (body["total"], body["limit"], body["offset"]) == (1, 20, 0)

    stats = await client.get(f"{one}/stats", headers=admin.headers)
    assert stats.status_code == 200, stats.text
    assert stats.json()["members"] == 1
    assert stats.json()["active_members"] == 1
    assert stats.json()["pending_invitations"] == 0

    changed = await client.put(
        one, json={"description": "Rockets", "max_users": 10}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["description"], changed.json()["max_users"]) == ("Rockets", 10)
    assert (await client.get(one, headers=admin.headers)).json()["member_count"] == 1

    removed = await client.delete(f"{one}/users/{user_id}", headers=admin.headers)
    assert removed.status_code == 200, removed.text
    gone = await client.delete(f"{one}/users/{user_id}", headers=admin.headers)
    assert gone.status_code == 404

    deleted = await client.delete(one, headers=admin.headers)
    assert deleted.status_code == 200, deleted.text
    assert (await client.get(one, headers=admin.headers)).status_code == 404

    kinds = [row.event_type for row in await audit_events(app) if row.resource == "tenants"]
    assert kinds == [
        "tenant.created",
        "tenant.member_added",
        "tenant.updated",
        "tenant.member_removed",
        "tenant.deleted",
    ]
    assert {row.tenant_id for row in await audit_events(app) if row.resource == "tenants"} == {
        uuid.UUID(tenant["id"])
    }


async def test_seed_004_organization_routes(app: FastAPI, client: httpx.AsyncClient) -> None:
    admin = await root(app)
    created = await client.post("/api/v1/organizations", json=SEED_004_BODY, headers=admin.headers)
    assert created.status_code == 201, created.text
    org = created.json()
    assert {key: org[key] for key in SEED_004_BODY} == SEED_004_BODY
    assert org["settings"] == {"allow_self_registration": False}

    listed = await client.get(
        "/api/v1/organizations?page=1&size=20&is_active=true", headers=admin.headers
    )
    assert listed.status_code == 200, listed.text
    assert [row["slug"] for row in listed.json()["items"]] == ["test-org"]
    assert (listed.json()["total"], listed.json()["page"], listed.json()["pages"]) == (1, 1, 1)
    inactive = await client.get("/api/v1/organizations?is_active=false", headers=admin.headers)
    assert inactive.json()["items"] == []

    one = f"/api/v1/organizations/{org['id']}"
    assert (await client.get(one, headers=admin.headers)).json()["name"] == "Test Organization"
    updated = await client.put(
        one,
        json={
            "name": "Updated Organization Name",
            "description": "Updated description",
            "is_active": True,
        },
        headers=admin.headers,
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "Updated Organization Name"
    assert updated.json()["slug"] == "test-org"

    # One tenant behind both seeds.
    assert (await client.get(f"/v1/tenants/{org['id']}", headers=admin.headers)).status_code == 200

    deleted = await client.delete(one, headers=admin.headers)
    assert deleted.status_code == 200, deleted.text
    assert (await client.get(one, headers=admin.headers)).status_code == 404


async def test_tenant_routes_need_the_tenant_permissions(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    plain = await caller(app)
    assert (await client.get("/v1/tenants")).status_code == 401
    for method, path in [
        ("GET", "/v1/tenants"),
        ("POST", "/v1/tenants"),
        ("GET", "/api/v1/organizations"),
    ]:
        response = await client.request(
            method, path, json={"name": "x", "slug": "xxx"}, headers=plain.headers
        )
        assert response.status_code == 403, (method, path, response.text)
