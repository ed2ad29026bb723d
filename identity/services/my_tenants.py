"""The caller's own tenants: those they are a member of, the one their session acts in, and
their organization as seed 004's ``/api/v1/organizations/my/info`` shows it. Any signed-in
caller reads these about themself; no permission is needed."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from identity.errors import AuthenticationRequired, NotFound
from identity.models import Tenant, TenantMember
from identity.principal import Principal
from identity.services.deps import Deps
from identity.services.tenants.common import TenantDetails, details_of
from identity.services.tenants.membership import tenants_of


def _signed_in(principal: Principal | None) -> Principal:
    if principal is None:
        raise AuthenticationRequired()
    return principal


async def my_tenants(deps: Deps, *, principal: Principal | None) -> list[TenantDetails]:
    """The tenants the caller is a member of, the earliest joined first."""
    caller = _signed_in(principal)
    async with deps.database.read() as session:
        return await details_of(session, await tenants_of(session, caller.user_id))


async def active_tenant(deps: Deps, *, principal: Principal | None) -> TenantDetails | None:
    """The tenant the caller's session acts in (checked with the session on this request:
    active, and the caller still a member), or None."""
    caller = _signed_in(principal)
    if caller.tenant_id is None:
        return None
    async with deps.database.read() as session:
        tenant = await session.get(Tenant, caller.tenant_id)
        return (await details_of(session, [tenant]))[0] if tenant is not None else None


async def my_organization(deps: Deps, *, principal: Principal | None) -> TenantDetails:
    """The caller's organization: the tenant their session acts in, else their primary
    tenant while they are a member of it; NotFound when they belong to none."""
    caller = _signed_in(principal)
    wanted = caller.tenant_id or caller.user.primary_tenant_id
    if wanted is not None:
        async with deps.database.read() as session:
            tenant = await session.scalar(
                select(Tenant)
                .join(TenantMember, col(TenantMember.tenant_id) == col(Tenant.id))
                .where(col(Tenant.id) == wanted, col(TenantMember.user_id) == caller.user_id)
            )
            if tenant is not None:
                return (await details_of(session, [tenant]))[0]
    raise NotFound("You are not a member of any organization", field="organization_id")
