"""The tenant-isolation matrix (issue 13): two tenants, an admin and a member of each; every
tenant-scoped REST operation, performed by A's admin on B's objects, answers 404 and changes
nothing (the database compared before and after); lists hold A's objects only. The matrix
reads the route tables: a tenant-scoped route it does not know fails
``test_the_matrix_knows_every_tenant_scoped_route``, so a new operation must be added here.
SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.models import PermissionRow, RolePermission
from identity.rest import TABLES
from identity.services.tenants.admin_role import admin_role
from tests.factories import Caller, new_tenant, tenant_admin, tenant_member
from tests.support.app import runtime
from tests.support.snapshot import snapshot

TENANT_SCOPED = (
    "users",
    "user roles",
    "roles",
    "tenants",
    "organizations",
    "my organization",
    "locations",
    "invitations",
    "mfa",
)
"""The route tables whose objects belong to a tenant (or are its members)."""

AIMED: dict[tuple[str, str], Any] = {
    ("GET", "/api/v1/users/{user_id}"): None,
    ("PUT", "/api/v1/users/{user_id}"): {"first_name": "Taken"},
    ("PATCH", "/api/v1/users/{user_id}"): {"first_name": "Taken"},
    ("DELETE", "/api/v1/users/{user_id}"): None,
    ("POST", "/api/v1/users/{user_id}/lock"): {"reason": "taken"},
    ("POST", "/api/v1/users/{user_id}/unlock"): None,
    ("GET", "/v1/users/{user_id}"): None,
    ("PUT", "/v1/users/{user_id}"): {"first_name": "Taken"},
    ("DELETE", "/v1/users/{user_id}"): None,
    ("POST", "/api/v1/users/bulk-actions"): {"action": "deactivate", "user_ids": ["{user_id}"]},
    ("POST", "/v1/admin/users/{user_id}/roles"): {"role_id": "{own_role_id}"},
    ("DELETE", "/v1/admin/users/{user_id}/roles/{role_id}"): None,
    ("GET", "/api/v1/users/{user_id}/roles"): None,
    ("POST", "/api/v1/users/{user_id}/roles"): {"role_ids": ["{own_role_id}"]},
    ("DELETE", "/api/v1/users/{user_id}/roles"): {"role_ids": ["{role_id}"]},
    ("GET", "/v1/admin/roles/{role_id}"): None,
    ("GET", "/api/v1/roles/{role_id}"): None,
    ("PUT", "/v1/admin/roles/{role_id}"): {"description": "taken"},
    ("PUT", "/api/v1/roles/{role_id}"): {"description": "taken"},
    ("DELETE", "/v1/admin/roles/{role_id}"): None,
    ("DELETE", "/api/v1/roles/{role_id}"): None,
    ("GET", "/v1/admin/roles/{role_id}/permissions"): None,
    ("POST", "/v1/admin/roles/{role_id}/permissions"): {"permission_id": "{permission_id}"},
    ("DELETE", "/v1/admin/roles/{role_id}/permissions/{permission_id}"): None,
    ("POST", "/api/v1/roles/{role_id}/permissions"): {"permission_ids": ["{permission_id}"]},
    ("DELETE", "/api/v1/roles/{role_id}/permissions"): {"permission_ids": ["{permission_id}"]},
    ("POST", "/v1/admin/roles"): {"name": "Spy", "tenant_id": "{tenant_id}"},
    ("POST", "/api/v1/roles"): {"name": "Spy", "organization_id": "{tenant_id}"},
    ("POST", "/api/v1/users"): {
        "email": "spy@example.com",
        "password": "Admin-Password-2026!",
        "organization_id": "{tenant_id}",
    },
    ("GET", "/v1/tenants/{tenant_id}"): None,
    ("PUT", "/v1/tenants/{tenant_id}"): {"description": "taken"},
    ("DELETE", "/v1/tenants/{tenant_id}"): None,
    ("GET", "/v1/tenants/{tenant_id}/stats"): None,
    ("GET", "/v1/tenants/{tenant_id}/users"): None,
    ("POST", "/v1/tenants/{tenant_id}/users/{user_id}"): None,
    ("DELETE", "/v1/tenants/{tenant_id}/users/{user_id}"): None,
    ("GET", "/api/v1/organizations/{organization_id}"): None,
    ("PUT", "/api/v1/organizations/{organization_id}"): {"description": "taken"},
    ("DELETE", "/api/v1/organizations/{organization_id}"): None,
    ("POST", "/api/v1/locations/assign"): {
        "user_id": "{user_id}",
        "location_ids": ["{location_id}"],
    },
    ("GET", "/api/v1/locations/user/{user_id}"): None,
    ("DELETE", "/api/v1/locations/user/{user_id}/location/{location_id}"): None,
    ("GET", "/api/v1/locations/{location_id}"): None,
    ("PUT", "/api/v1/locations/{location_id}"): {"name": "Taken"},
    ("DELETE", "/api/v1/locations/{location_id}"): None,
    ("GET", "/api/v1/locations/{location_id}/users"): None,
    ("GET", "/v1/invitations/{invitation_id}"): None,
    ("DELETE", "/v1/invitations/{invitation_id}"): None,
    ("POST", "/v1/invitations/{invitation_id}/resend"): None,
    ("POST", "/v1/invitations"): {"email": "spy@example.com", "tenant_id": "{tenant_id}"},
    ("POST", "/v1/admin/users/{user_id}/mfa/reset"): None,
}
"""Each tenant-scoped route aimed at tenant B's objects (``{…}``: B's user, role, location,
invitation, tenant; ``own_…``: A's), with its body."""

OWN: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/v1/tenants/{tenant_id}/users/{user_id}"): {"user_id": "own_user_id"},
}
"""Routes aimed with one of A's objects beside B's: adding A's member to tenant B."""

UNAIMED: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/users"): "a list: test_lists_hold_their_own_only",
    ("GET", "/v1/users"): "a list: test_lists_hold_their_own_only",
    ("GET", "/api/v1/admin/users"): "a list: test_lists_hold_their_own_only",
    ("POST", "/v1/users"): "seed 002's create: the caller's tenant only (tests/rest/users)",
    ("POST", "/api/v1/admin/users"): "creates a global administrator: refused to a tenant admin",
    ("PUT", "/api/v1/admin/users/{admin_id}/permissions"): "direct grants: needs "
    "permissions:write everywhere (403 for any account)",
    ("GET", "/v1/admin/roles"): "a list: test_lists_hold_their_own_only",
    ("GET", "/api/v1/roles"): "a list: test_lists_hold_their_own_only",
    ("GET", "/v1/tenants"): "a list: test_lists_hold_their_own_only",
    ("POST", "/v1/tenants"): "creating a tenant names no other tenant's object",
    ("GET", "/api/v1/organizations"): "a list: test_lists_hold_their_own_only",
    ("POST", "/api/v1/organizations"): "creating a tenant names no other tenant's object",
    ("GET", "/api/v1/organizations/my/info"): "the caller's own tenant",
    ("GET", "/api/v1/locations"): "a list: test_lists_hold_their_own_only",
    ("POST", "/api/v1/locations"): "creates in the caller's tenant (tests/rest/locations)",
    ("GET", "/v1/invitations"): "a list: test_lists_hold_their_own_only",
    ("POST", "/v1/invitations/public/validate"): "public, by token",
    ("POST", "/v1/invitations/public/accept"): "public, by token",
    **dict.fromkeys(
        [
            ("GET", "/v1/auth/mfa/status"),
            ("POST", "/v1/auth/mfa/setup"),
            ("POST", "/v1/auth/mfa/enable"),
            ("POST", "/v1/auth/mfa/disable"),
            ("POST", "/v1/auth/mfa/backup-codes"),
            ("GET", "/v1/auth/mfa/backup-codes/count"),
            ("POST", "/v1/auth/mfa/preferred"),
            ("POST", "/v1/auth/reauthenticate"),
        ],
        "the caller's own second factors and session",
    ),
}


def tenant_scoped_routes() -> set[tuple[str, str]]:
    return {(one.method, one.path) for name in TENANT_SCOPED for one in TABLES.get(name, ())}


def test_the_matrix_knows_every_tenant_scoped_route() -> None:
    unknown = tenant_scoped_routes() - AIMED.keys() - UNAIMED.keys()
    assert not unknown, (
        "Tenant-scoped routes the isolation matrix does not know: add each to AIMED (how A's "
        f"admin aims it at B's objects) or UNAIMED (why it names none): {sorted(unknown)}"
    )


@dataclass(frozen=True)
class World:
    names: dict[str, str]
    admin_a: Caller
    admin_b: Caller


async def _admin_role(app: FastAPI, tenant_id: uuid.UUID) -> uuid.UUID:
    async with runtime(app).database.read() as session:
        role = await admin_role(session, tenant_id)
    assert role is not None
    return role.id


async def _grant(app: FastAPI, role_id: uuid.UUID, names: list[str]) -> None:
    """Tenant A's admin role also holds ``names``: held in A, they must not reach B."""
    async with runtime(app).database.unit_of_work() as session:
        ids = await session.scalars(
            select(col(PermissionRow.id)).where(col(PermissionRow.name).in_(names))
        )
        session.add_all(RolePermission(role_id=role_id, permission_id=one) for one in ids)


async def _created(client: httpx.AsyncClient, caller: Caller, path: str, body: Any) -> str:
    response = await client.post(path, json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture
async def world(app: FastAPI, client: httpx.AsyncClient) -> World:
    a = await new_tenant(app, "iso-a")
    b = await new_tenant(app, "iso-b")
    await _grant(app, await _admin_role(app, a), ["tenants:read", "tenants:write"])
    admin_a = await tenant_admin(app, a)
    member_a = await tenant_member(app, a)
    admin_b = await tenant_admin(app, b)
    member_b = await tenant_member(app, b)
    location_b = await _created(
        client, admin_b, "/api/v1/locations", {"name": "B site", "code": "B1"}
    )
    await _created(client, admin_a, "/api/v1/locations", {"name": "A site", "code": "A1"})
    invitation_b = await _created(
        client, admin_b, "/v1/invitations", {"email": "invitee-b@example.com"}
    )
    await _created(client, admin_a, "/v1/invitations", {"email": "invitee-a@example.com"})
    assigned = await client.post(
        "/api/v1/locations/assign",
        json={"user_id": str(member_b.id), "location_ids": [location_b]},
        headers=admin_b.headers,
    )
    assert assigned.status_code in (200, 201), assigned.text
    from tests.support.rows import permission_id

    names = {
        "user_id": str(member_b.id),
        "role_id": str(await _admin_role(app, b)),
        "tenant_id": str(b),
        "organization_id": str(b),
        "location_id": location_b,
        "invitation_id": invitation_b,
        "permission_id": str(await permission_id(app, "users:read")),
        "own_user_id": str(member_a.id),
        "own_role_id": str(await _admin_role(app, a)),
    }
    return World(names, admin_a, admin_b)


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, list):
        return [_fill(one, names) for one in value]
    if isinstance(value, dict):
        return {key: _fill(one, names) for key, one in value.items()}
    return value


@pytest.mark.parametrize(("method", "path"), sorted(AIMED))
async def test_a_admin_on_b_objects_is_not_found_and_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, world: World, method: str, path: str
) -> None:
    body = AIMED[(method, path)]
    names = dict(world.names)
    names.update({key: world.names[own] for key, own in OWN.get((method, path), {}).items()})
    before = await snapshot(app)

    response = await client.request(
        method,
        _fill(path, names),
        json=_fill(body, names) if body is not None else None,
        headers=world.admin_a.headers,
    )

    if path == "/api/v1/users/bulk-actions":
        assert response.status_code == 200, response.text
        assert [one["ok"] for one in response.json()["results"]] == [False]
    else:
        assert response.status_code == 404, response.text
    assert await snapshot(app) == before


LISTS = {
    "/api/v1/users": "items",
    "/v1/users": "users",
    "/api/v1/roles": None,
    "/api/v1/locations": None,
    "/v1/invitations": "invitations",
}


@pytest.mark.parametrize("path", sorted(LISTS))
async def test_lists_hold_their_own_only(
    client: httpx.AsyncClient, world: World, path: str
) -> None:
    response = await client.get(path, headers=world.admin_a.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    key = LISTS[path]
    items = body if key is None else body[key]
    seen = {str(item["id"]) for item in items}
    b_objects = {
        world.names[name] for name in ("user_id", "role_id", "location_id", "invitation_id")
    }
    assert not seen & b_objects
    assert items, "A's own objects are listed"
