"""``Tenant.locations``, ``Tenant.invitations`` and ``Location.users`` over GraphQL: a tenant
admin reads their tenant's; another tenant's (reached through a membership or an assignment
of one's own) shows nothing (no locations, null); without the permission, PERMISSION_DENIED;
a page of tenants with all three costs a fixed number of statements. SQLite and
PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from identity.config import Settings
from tests.factories import (
    Caller,
    add_member,
    new_invitation,
    new_location,
    new_tenant,
    root,
    tenant_admin,
    tenant_member,
)
from tests.support.graphql import gql, gql_field
from tests.support.statements import counting

FIELDS = """locations { code users { total items { user { email } isPrimary } } }
invitations { total items { email status } }"""
ACTIVE = "{ me { activeTenant { slug " + FIELDS + " } } }"
MINE = "{ me { tenants { slug " + FIELDS + " } } }"
MY_LOCATIONS = "{ me { locations { location { code users { total items { user { email } } } } } } }"
PAGE = "{ tenants(first: 20) { edges { node { slug " + FIELDS + " } } } }"


async def _assign(
    client: httpx.AsyncClient, admin: Caller, user_id: uuid.UUID, location: uuid.UUID
) -> None:
    assigned = await client.post(
        "/api/v1/locations/assign",
        json={"user_id": str(user_id), "location_ids": [str(location)]},
        headers=admin.headers,
    )
    assert assigned.status_code in (200, 201), assigned.text


async def _furnished(app: FastAPI, slug: str) -> tuple[uuid.UUID, Caller, uuid.UUID]:
    """A tenant with an admin, a member assigned to its one location, and an invitation."""
    tenant = await new_tenant(app, slug)
    admin = await tenant_admin(app, tenant, f"admin@{slug}.example.com")
    member = await tenant_member(app, tenant, f"member@{slug}.example.com")
    location = await new_location(app, tenant, slug.upper(), assigned=[member.id])
    await new_invitation(app, tenant, f"invitee@{slug}.example.com")
    return tenant, admin, location


def _codes(body: dict[str, Any]) -> list[str | None]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors", [])]


async def test_a_tenant_admin_reads_their_tenants_locations_users_and_invitations(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, admin_a, _ = await _furnished(app, "fields-a")

    found = (await gql_field(client, ACTIVE, token=admin_a.token))["activeTenant"]

    assert found == {
        "slug": "fields-a",
        "locations": [
            {
                "code": "FIELDS-A",
                "users": {
                    "total": 1,
                    "items": [
                        {"user": {"email": "member@fields-a.example.com"}, "isPrimary": True}
                    ],
                },
            }
        ],
        "invitations": {
            "total": 1,
            "items": [{"email": "invitee@fields-a.example.com", "status": "PENDING"}],
        },
    }
    paged = await gql_field(
        client,
        "{ me { activeTenant { invitations(status: ACCEPTED) { total } "
        "locations { users(offset: 1, limit: 1) { total items { isPrimary } } } } } }",
        token=admin_a.token,
    )
    assert paged["activeTenant"] == {
        "invitations": {"total": 0},
        "locations": [{"users": {"total": 1, "items": []}}],
    }


async def test_another_tenants_through_a_membership_show_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, admin_a, _ = await _furnished(app, "fields-a")
    b, _, _ = await _furnished(app, "fields-b")
    await add_member(app, b, admin_a.id)

    body = await gql(client, MINE, token=admin_a.token)

    assert "errors" not in body, body
    [own, other] = body["data"]["me"]["tenants"]
    assert (own["slug"], len(own["locations"]), own["invitations"]["total"]) == ("fields-a", 1, 1)
    assert other == {"slug": "fields-b", "locations": [], "invitations": None}


async def test_another_tenants_location_users_through_an_assignment_are_null(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    b, admin_b, location = await _furnished(app, "fields-b")
    admin_a = await tenant_admin(app, await new_tenant(app, "fields-a"))
    await add_member(app, b, admin_a.id)
    await _assign(client, admin_b, admin_a.id, location)

    body = await gql(client, MY_LOCATIONS, token=admin_a.token)

    assert "errors" not in body, body
    assert body["data"]["me"]["locations"] == [{"location": {"code": "FIELDS-B", "users": None}}]


async def test_without_the_permission_each_field_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    a, admin, location = await _furnished(app, "fields-a")
    member = await tenant_member(app, a)
    await _assign(client, admin, member.id, location)

    for document in (
        "{ me { tenants { locations { code } } } }",
        "{ me { tenants { invitations { total } } } }",
        "{ me { locations { location { users { total } } } } }",
    ):
        body = await gql(client, document, token=member.token)
        assert _codes(body) == ["PERMISSION_DENIED"], (document, body)


async def _page_statements(app: FastAPI, client: httpx.AsyncClient, token: str) -> int:
    await gql(client, PAGE, token=token)
    with counting(app) as counter:
        body = await gql(client, PAGE, token=token)
    assert "errors" not in body, body
    return len([one for one in counter.queries if "mail_outbox" not in one])  # not the worker's


PAGE_STATEMENTS = 10


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """Statements a page costs, the caller read on each request: the principal cache (tests/
    invalidation) spares those reads or not depending on whether it has heard back from this
    process's last write yet, which a count must not depend on."""
    return make_settings(principal_cache=False)


async def test_a_tenants_page_with_them_costs_a_fixed_number_of_statements(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await root(app)
    for number in range(2):
        await _furnished(app, f"count-{number}")
    two = await _page_statements(app, client, token)
    for number in range(2, 5):
        await _furnished(app, f"count-{number}")
    five = await _page_statements(app, client, token)

    assert two == five == PAGE_STATEMENTS, (two, five)
