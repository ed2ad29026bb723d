"""``User.permissions`` and ``User.roles`` answer for the tenant the caller acts in: a member
holding a tenant's role sees its permissions acting there and not after ``switchTenant``
elsewhere; another tenant's roles never show, whoever looks. SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.factories import add_member, new_tenant, tenant_admin, tenant_token
from tests.support.graphql import gql_field

ME = "{ me { permissions roles { name tenantId } } }"
SWITCH = """mutation($id: ID) { switchTenant(tenantId: $id) {
  __typename ... on AuthPayload { accessToken } ... on Error { code }
} }"""
USER = "query($id: ID!) { user(id: $id) { permissions roles { name tenantId } } }"


def tenant_roles(found: dict[str, object]) -> list[object]:
    roles = found["roles"]
    assert isinstance(roles, list)
    return [role["tenantId"] for role in roles if role["tenantId"] is not None]


async def test_me_holds_the_active_tenants_roles_there_only(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    a = await new_tenant(app)
    b = await new_tenant(app)
    admin = await tenant_admin(app, a)
    await add_member(app, b, admin.id)

    acting_in_a = await gql_field(client, ME, token=admin.token)
    assert {"locations:write", "invitations:manage", "users:read"} <= set(
        acting_in_a["permissions"]
    )
    assert tenant_roles(acting_in_a) == [str(a)]

    switched = await gql_field(client, SWITCH, {"id": str(b)}, token=admin.token)
    assert switched["__typename"] == "AuthPayload", switched
    acting_in_b = await gql_field(client, ME, token=switched["accessToken"])
    assert "locations:write" not in acting_in_b["permissions"]
    assert "invitations:manage" not in acting_in_b["permissions"]
    assert tenant_roles(acting_in_b) == []

    nowhere = await gql_field(client, ME, token=await tenant_token(app, admin.id, None))
    assert nowhere["permissions"] == acting_in_b["permissions"]
    assert tenant_roles(nowhere) == []


async def test_another_tenants_roles_never_show_to_a_tenant_admin(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    a = await new_tenant(app)
    b = await new_tenant(app)
    admin_a = await tenant_admin(app, a)
    both = await tenant_admin(app, b)
    await add_member(app, a, both.id)

    seen = await gql_field(client, USER, {"id": str(both.id)}, token=admin_a.token)

    assert tenant_roles(seen) == []
    assert "locations:write" not in seen["permissions"]
    own = await gql_field(client, USER, {"id": str(both.id)}, token=both.token)
    assert tenant_roles(own) == [str(b)]
    assert "locations:write" in own["permissions"]
