"""Tenant reads: the tenants connection (every tenant: the super-admin's) and one tenant."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from identity.errors import IdentityError, NotFound, PermissionDenied
from identity.permissions import Permission
from identity.services import tenancy
from identity.services.tenants import records
from identity.services.tenants.common import MAX_PAGE
from schema.context import Context
from schema.declare import needs, query
from schema.ids import parse_id
from schema.types.pagination import check_list_arguments, decode_cursor, graphql_error
from schema.types.tenants import Tenant, TenantConnection, TenantFilter, record_access


@strawberry.type
class TenantsQuery:
    @query(
        "Every tenant by name, a page at a time: `first` (1 to 100) after the cursor `after`; "
        "`totalCount` counts every match. Needs tenants:read in every tenant (a global grant).",
        access=needs(Permission.TENANTS_READ),
    )
    async def tenants(
        self,
        info: Info[Context, None],
        first: int = 20,
        after: str | None = None,
        filter: TenantFilter | None = None,
    ) -> TenantConnection:
        try:
            offset = decode_cursor(after)
        except IdentityError as exc:
            raise graphql_error(exc) from exc
        check_list_arguments(
            offset=offset,
            limit=first,
            max_limit=MAX_PAGE,
            offset_name="after",
            limit_name="first",
            texts={"filter.search": filter.search if filter else None},
        )
        deps = info.context.deps
        principal = await info.context.principal()
        try:
            reach = await tenancy.reach(deps, principal, Permission.TENANTS_READ)
            if not reach.everywhere:
                raise PermissionDenied("Listing tenants needs tenants:read in every tenant")
            page = await records.list_tenants(
                deps,
                principal=principal,
                query=records.TenantQuery(
                    search=filter.search if filter else None,
                    is_active=filter.is_active if filter else None,
                    offset=offset,
                    limit=first,
                ),
            )
        except IdentityError as exc:
            raise graphql_error(exc) from exc
        return TenantConnection.from_page(page)

    @query(
        "One tenant by id; null when there is none or it is out of your reach.",
        access=record_access(Permission.TENANTS_READ),
    )
    async def tenant(self, info: Info[Context, None], id: strawberry.ID) -> Tenant | None:
        try:
            found = await records.get_tenant(
                info.context.deps, principal=await info.context.principal(), tenant_id=parse_id(id)
            )
        except NotFound:
            return None
        except IdentityError as exc:
            raise graphql_error(exc) from exc
        return Tenant.from_details(found)
