"""Tenants over GraphQL: every field's happy path, refusals as union members, a tenant
admin's reach (their tenant's members; another tenant's ids not found, nothing changed), and
the statement count of a tenants page. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.config import Settings
from identity.models import Tenant, TenantMember
from tests.factories import add_member, add_user, new_tenant, root, tenant_admin
from tests.support.app import runtime
from tests.support.graphql import gql, gql_field, outcome
from tests.support.statements import counting

TENANT = "id name slug description maxUsers isActive settings { allowSelfRegistration } memberCount"
CREATE = (
    "mutation($input: CreateTenantInput!) { createTenant(input: $input) { __typename "
    f"... on TenantPayload {{ tenant {{ {TENANT} }} }} ... on Error {{ code field }} }} }}"
)
UPDATE = (
    "mutation($id: ID!, $input: UpdateTenantInput!) { updateTenant(id: $id, input: $input) "
    f"{{ __typename ... on TenantPayload {{ tenant {{ {TENANT} }} }} ... on Error {{ code }} }} }}"
)
DELETE = (
    "mutation($id: ID!) { deleteTenant(id: $id) { __typename ... on TenantDeleted { id } "
    "... on Error { code } } }"
)
ADD = (
    "mutation($t: ID!, $u: ID!) { addTenantMember(tenantId: $t, userId: $u) { __typename "
    "... on TenantMemberPayload { tenantId changed user { email } } ... on Error { code } } }"
)
REMOVE = (
    "mutation($t: ID!, $u: ID!) { removeTenantMember(tenantId: $t, userId: $u) { __typename "
    "... on TenantMemberPayload { changed } ... on Error { code } } }"
)
ONE = (
    "query($id: ID!, $after: String) { tenant(id: $id) { name memberCount "
    "members(first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor } "
    "edges { joinedAt node { email } } } roles { name tenantId permissions { name } } "
    "stats { members activeMembers activeSessions loginsLast30Days pendingInvitations } } }"
)
LIST = (
    "query($first: Int!, $filter: TenantFilter) { tenants(first: $first, filter: $filter) "
    "{ totalCount edges { node { slug memberCount } } } }"
)


async def test_every_tenant_field_and_mutation(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    owner = await add_user(app, "owner@example.com")
    created = await gql_field(
        client,
        CREATE,
        {"input": {"name": "Acme", "slug": "acme", "maxUsers": 3, "ownerId": str(owner)}},
        token=token,
    )
    assert created["__typename"] == "TenantPayload", created
    tenant = created["tenant"]
    assert tenant["memberCount"] == 1
    assert tenant["settings"] == {"allowSelfRegistration": False}

    taken = await gql_field(client, CREATE, {"input": {"name": "A", "slug": "acme"}}, token=token)
    assert (taken["__typename"], taken["code"]) == ("Conflict", "TENANT_SLUG_TAKEN")
    bad = await gql_field(client, CREATE, {"input": {"name": "A", "slug": "A!"}}, token=token)
    assert (bad["__typename"], bad["field"]) == ("ValidationError", "slug")

    member = await add_user(app, "member@example.com")
    added = await gql_field(client, ADD, {"t": tenant["id"], "u": str(member)}, token=token)
    assert added == {
        "__typename": "TenantMemberPayload",
        "tenantId": tenant["id"],
        "changed": True,
        "user": {"email": "member@example.com"},
    }

    first = await gql_field(client, ONE, {"id": tenant["id"]}, token=token)
    assert first["memberCount"] == 2
    assert first["members"]["totalCount"] == 2
    assert [edge["node"]["email"] for edge in first["members"]["edges"]] == ["owner@example.com"]
    after = first["members"]["pageInfo"]["endCursor"]
    second = await gql_field(client, ONE, {"id": tenant["id"], "after": after}, token=token)
    assert [edge["node"]["email"] for edge in second["members"]["edges"]] == ["member@example.com"]
    assert [role["name"] for role in first["roles"]] == ["admin"]
    assert "invitations:manage" in {p["name"] for p in first["roles"][0]["permissions"]}
    assert first["stats"]["members"] == 2

    updated = await gql_field(
        client,
        UPDATE,
        {"id": tenant["id"], "input": {"description": "Rockets", "allowSelfRegistration": True}},
        token=token,
    )
    assert updated["tenant"]["description"] == "Rockets"
    assert updated["tenant"]["settings"] == {"allowSelfRegistration": True}

    listed = await gql_field(client, LIST, {"first": 10, "filter": {"search": "acm"}}, token=token)
    assert listed == {"totalCount": 1, "edges": [{"node": {"slug": "acme", "memberCount": 2}}]}

    removed = await gql_field(client, REMOVE, {"t": tenant["id"], "u": str(member)}, token=token)
    assert removed == {"__typename": "TenantMemberPayload", "changed": True}
    deleted = await gql_field(client, DELETE, {"id": tenant["id"]}, token=token)
    assert deleted == {"__typename": "TenantDeleted", "id": tenant["id"]}
    assert await gql_field(client, ONE, {"id": tenant["id"]}, token=token) is None
    unknown = await gql_field(client, DELETE, {"id": str(uuid.uuid4())}, token=token)
    assert unknown["code"] == "RESOURCE_NOT_FOUND"


async def test_a_tenant_admin_reaches_their_tenant_only(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    a = await new_tenant(app, "tenant-a")
    b = await new_tenant(app, "tenant-b")
    admin = await tenant_admin(app, a)
    mine = await add_user(app)
    theirs = await add_user(app)
    await add_member(app, a, mine)
    await add_member(app, b, theirs)
    async with runtime(app).database.read() as session:
        before = (
            await session.execute(select(col(TenantMember.tenant_id), col(TenantMember.user_id)))
        ).all()

    removed = await gql(client, REMOVE, {"t": str(a), "u": str(mine)}, token=admin.token)
    assert outcome(removed, "removeTenantMember") == "TenantMemberPayload"
    for variables in ({"t": str(b), "u": str(theirs)}, {"t": str(a), "u": str(theirs)}):
        for document, field in ((ADD, "addTenantMember"), (REMOVE, "removeTenantMember")):
            body = await gql(client, document, variables, token=admin.token)
            assert outcome(body, field) == "RESOURCE_NOT_FOUND", (document, variables, body)
    # Tenant records are the installation's: their own refused, another's not found.
    for document, field in ((LIST, "tenants"), (ONE, "tenant")):
        body = await gql(client, document, {"first": 5, "id": str(a)}, token=admin.token)
        assert outcome(body, field) == "PERMISSION_DENIED", body
    own = await gql(client, UPDATE, {"id": str(a), "input": {"name": "x"}}, token=admin.token)
    assert outcome(own, "updateTenant") == "PERMISSION_DENIED"
    assert await gql_field(client, ONE, {"id": str(b)}, token=admin.token) is None
    for document, field, variables in (
        (DELETE, "deleteTenant", {"id": str(b)}),
        (UPDATE, "updateTenant", {"id": str(b), "input": {"name": "x"}}),
    ):
        body = await gql(client, document, variables, token=admin.token)
        assert outcome(body, field) == "RESOURCE_NOT_FOUND", body

    async with runtime(app).database.read() as session:
        after = (
            await session.execute(select(col(TenantMember.tenant_id), col(TenantMember.user_id)))
        ).all()
        assert set(before) - set(after) == {(a, mine)}
        assert len(before) - len(after) == 1
        assert (await session.scalars(select(col(Tenant.slug)))).all()


PAGE = "{ tenants(first: 100) { totalCount edges { node { slug memberCount } } } }"
# The caller (the session check, then its permissions: once per request for the field, the
# reach and the service), the count, the page, and every tenant's member count in one
# statement.
PAGE_STATEMENTS = 5


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """Statements a page costs, the caller read on each request: the principal cache (tests/
    invalidation) spares those reads or not depending on whether it has heard back from this
    process's last write yet, which a count must not depend on."""
    return make_settings(principal_cache=False)


async def _page_statements(app: FastAPI, client: httpx.AsyncClient, token: str) -> int:
    await gql(client, PAGE, token=token)
    with counting(app) as counter:
        body = await gql(client, PAGE, token=token)
    assert "errors" not in body, body
    return len([one for one in counter.queries if "mail_outbox" not in one])  # not the worker's


async def test_a_tenants_page_costs_a_fixed_number_of_statements(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await root(app)
    for number in range(3):
        tenant = await new_tenant(app, f"tenant-{number}")
        await add_member(app, tenant, await add_user(app))
    three = await _page_statements(app, client, token)
    for number in range(3, 12):
        tenant = await new_tenant(app, f"tenant-{number}")
        await add_member(app, tenant, await add_user(app))
    twelve = await _page_statements(app, client, token)
    assert three == twelve == PAGE_STATEMENTS, (three, twelve)
