"""Seed 003's tenants: ``/v1/tenants*``, their statistics and their members.

Seed 003 says "requires admin role"; here each route asks the service: the tenant itself
needs ``tenants:read``/``tenants:write`` (creating, deleting and listing every tenant: held
everywhere), its members ``users:read``/``users:write`` reaching the tenant (a tenant admin
manages their own tenant's). Another tenant's id is 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from annotated_types import Ge, Le

from identity.rest.deps import DepsDep, PrincipalDep
from identity.rest.params import FilterText, Id, Offset
from identity.rest.responses.tenants import (
    TenantDeletedOut,
    TenantMemberChangedOut,
    TenantMembersOut,
    TenantOut,
    TenantsPageOut,
    TenantStatsOut,
)
from identity.rest.routing import row
from identity.rest.shapes import user_json, when
from identity.rest.tenant_shapes import CreateTenantBody, UpdateTenantBody, tenant_json
from identity.services.tenants import members, records, stats
from identity.services.tenants.common import MAX_PAGE

PageSize = Annotated[int, Ge(1), Le(MAX_PAGE)]
"""``limit`` of tenant lists: 1 to 100."""


async def list_tenants(
    deps: DepsDep,
    principal: PrincipalDep,
    limit: PageSize = 20,
    offset: Offset = 0,
    search: FilterText | None = None,
    is_active: bool | None = None,
) -> dict[str, Any]:
    page = await records.list_tenants(
        deps,
        principal=principal,
        query=records.TenantQuery(search=search, is_active=is_active, offset=offset, limit=limit),
    )
    return {
        "tenants": [tenant_json(one) for one in page.items],
        "total": page.total,
        "count": len(page.items),
        "limit": page.limit,
        "offset": page.offset,
    }


async def create_tenant(
    body: CreateTenantBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    return tenant_json(await records.create_tenant(deps, principal=principal, new=body.new()))


async def get_tenant(tenant_id: Id, deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    return tenant_json(await records.get_tenant(deps, principal=principal, tenant_id=tenant_id))


async def update_tenant(
    tenant_id: Id, body: UpdateTenantBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    changes = body.changes()
    updated = await records.update_tenant(
        deps, principal=principal, tenant_id=tenant_id, changes=changes
    )
    return tenant_json(updated)


async def delete_tenant(tenant_id: Id, deps: DepsDep, principal: PrincipalDep) -> dict[str, str]:
    await records.delete_tenant(deps, principal=principal, tenant_id=tenant_id)
    return {"message": "Tenant deleted", "id": str(tenant_id)}


async def tenant_stats(tenant_id: Id, deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    found = await stats.tenant_stats(deps, principal=principal, tenant_id=tenant_id)
    return {
        "tenant_id": str(found.tenant_id),
        "members": found.members,
        "total_users": found.members,
        "active_members": found.active_members,
        "active_users": found.active_members,
        "active_sessions": found.active_sessions,
        "logins_last_30_days": found.logins_last_30_days,
        "pending_invitations": found.pending_invitations,
    }


async def tenant_users(
    tenant_id: Id,
    deps: DepsDep,
    principal: PrincipalDep,
    limit: PageSize = 20,
    offset: Offset = 0,
) -> dict[str, Any]:
    page = await members.list_members(
        deps, principal=principal, tenant_id=tenant_id, offset=offset, limit=limit
    )
    return {
        "tenant_id": str(tenant_id),
        "users": [{**user_json(one.user), "joined_at": when(one.joined_at)} for one in page.items],
        "total": page.total,
        "count": len(page.items),
        "limit": page.limit,
        "offset": page.offset,
    }


async def add_tenant_user(
    tenant_id: Id, user_id: Id, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    change = await members.add_member(
        deps, principal=principal, tenant_id=tenant_id, user_id=user_id
    )
    return {
        "message": "User assigned to tenant" if change.changed else "User is already a member",
        "tenant_id": str(tenant_id),
        "user_id": str(user_id),
        "changed": change.changed,
    }


async def remove_tenant_user(
    tenant_id: Id, user_id: Id, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    await members.remove_member(deps, principal=principal, tenant_id=tenant_id, user_id=user_id)
    return {
        "message": "User removed from tenant",
        "tenant_id": str(tenant_id),
        "user_id": str(user_id),
        "changed": True,
    }


V1 = "/v1/tenants"
ONE = V1 + "/{tenant_id}"
MEMBER = ONE + "/users/{user_id}"

ROUTES = (
    row(
        "GET",
        V1,
        list_tenants,
        "List tenants (tenants:read everywhere; held in one tenant: that tenant only)",
        seeds="003",
        response=TenantsPageOut,
    ),
    row(
        "POST",
        V1,
        create_tenant,
        "Create a tenant with its admin role (tenants:write everywhere)",
        seeds="003",
        response=TenantOut,
        status_code=201,
    ),
    row("GET", ONE, get_tenant, "A tenant (tenants:read)", seeds="003", response=TenantOut),
    row(
        "PUT",
        ONE,
        update_tenant,
        "Change a tenant; is_active false ends its sessions (tenants:write)",
        seeds="003",
        response=TenantOut,
    ),
    row(
        "DELETE",
        ONE,
        delete_tenant,
        "Delete a tenant, its memberships, roles, locations and invitations; accounts stay "
        "(tenants:write everywhere)",
        seeds="003",
        response=TenantDeletedOut,
    ),
    row(
        "GET",
        ONE + "/stats",
        tenant_stats,
        "A tenant's members, sessions, logins (30 days) and pending invitations (tenants:read)",
        seeds="003",
        response=TenantStatsOut,
    ),
    row(
        "GET",
        ONE + "/users",
        tenant_users,
        "A tenant's members, the earliest joined first (users:read in the tenant)",
        seeds="003",
        response=TenantMembersOut,
    ),
    row(
        "POST",
        MEMBER,
        add_tenant_user,
        "Add a member (users:write in the tenant; max_users: TENANT_FULL)",
        seeds="003",
        response=TenantMemberChangedOut,
    ),
    row(
        "DELETE",
        MEMBER,
        remove_tenant_user,
        "Remove a member and end their sessions in the tenant (users:write in the tenant)",
        seeds="003",
        response=TenantMemberChangedOut,
    ),
)
