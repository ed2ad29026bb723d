"""Seed 004's ``GET /api/v1/organizations/my/info``: a member's own organization (the tenant
their session acts in, else their primary one). Tried before ``/api/v1/organizations/{id}``."""

from __future__ import annotations

from typing import Any

from identity.rest.deps import DepsDep, PrincipalDep
from identity.rest.responses.tenants import TenantOut
from identity.rest.routing import row
from identity.rest.tenant_shapes import tenant_json
from identity.services import my_tenants


async def my_organization(deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    return tenant_json(await my_tenants.my_organization(deps, principal=principal))


ROUTES = (
    row(
        "GET",
        "/api/v1/organizations/my/info",
        my_organization,
        "Your organization: the one your session acts in, else your primary one (any member)",
        seeds="004",
        response=TenantOut,
    ),
)
