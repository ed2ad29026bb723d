"""Seed 004's organizations: ``/api/v1/organizations*``, the tenants under their seed 004
name ("Super Admin Only": here ``tenants:read``/``tenants:write``, as ``/v1/tenants``).

``/api/v1/organizations/my/info`` (a member's own organization) is served with the caller's
active tenant, elsewhere.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from annotated_types import Ge, Le

from identity.rest.deps import DepsDep, PrincipalDep
from identity.rest.params import FilterText, Id, Page
from identity.rest.responses.tenants import OrganizationsPageOut, TenantDeletedOut, TenantOut
from identity.rest.routing import row
from identity.rest.tenant_shapes import CreateTenantBody, UpdateTenantBody, tenant_json
from identity.services.tenants import records
from identity.services.tenants.common import MAX_PAGE

PageSize = Annotated[int, Ge(1), Le(MAX_PAGE)]
"""``size`` of organization lists: 1 to 100."""


async def list_organizations(
    deps: DepsDep,
    principal: PrincipalDep,
    page: Page = 1,
    size: PageSize = 20,
    is_active: bool | None = None,
    search: FilterText | None = None,
) -> dict[str, Any]:
    found = await records.list_tenants(
        deps,
        principal=principal,
        query=records.TenantQuery(
            search=search, is_active=is_active, offset=(page - 1) * size, limit=size
        ),
    )
    return {
        "items": [tenant_json(one) for one in found.items],
        "total": found.total,
        "page": page,
        "size": size,
        "pages": math.ceil(found.total / size),
    }


async def create_organization(
    body: CreateTenantBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    return tenant_json(await records.create_tenant(deps, principal=principal, new=body.new()))


async def get_organization(
    organization_id: Id, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    found = await records.get_tenant(deps, principal=principal, tenant_id=organization_id)
    return tenant_json(found)


async def update_organization(
    organization_id: Id, body: UpdateTenantBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    changes = body.changes()
    updated = await records.update_tenant(
        deps, principal=principal, tenant_id=organization_id, changes=changes
    )
    return tenant_json(updated)


async def delete_organization(
    organization_id: Id, deps: DepsDep, principal: PrincipalDep
) -> dict[str, str]:
    await records.delete_tenant(deps, principal=principal, tenant_id=organization_id)
    return {"message": "Organization deleted", "id": str(organization_id)}


API_V1 = "/api/v1/organizations"
ONE = API_V1 + "/{organization_id}"

ROUTES = (
    row(
        "GET",
        API_V1,
        list_organizations,
        "List organizations (tenants:read everywhere; held in one: that one only)",
        seeds="004",
        response=OrganizationsPageOut,
    ),
    row(
        "POST",
        API_V1,
        create_organization,
        "Create an organization with its admin role (tenants:write everywhere)",
        seeds="004",
        response=TenantOut,
        status_code=201,
    ),
    row(
        "GET",
        ONE,
        get_organization,
        "An organization (tenants:read)",
        seeds="004",
        response=TenantOut,
    ),
    row(
        "PUT",
        ONE,
        update_organization,
        "Change an organization; is_active false ends its sessions (tenants:write)",
        seeds="004",
        response=TenantOut,
    ),
    row(
        "DELETE",
        ONE,
        delete_organization,
        "Delete an organization with its memberships, roles, locations and invitations "
        "(tenants:write everywhere)",
        seeds="004",
        response=TenantDeletedOut,
    ),
)
