"""Roles and permissions: query fields."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from identity.errors import NotFound
from identity.permissions import Permission as PermissionName
from identity.services import permission_catalog, roles
from schema.context import Context
from schema.declare import SIGNED_IN, needs, query
from schema.ids import parse_id
from schema.types.pagination import check_list_arguments
from schema.types.rbac import Permission, PermissionGroup, Role, role_from


@strawberry.type
class RbacQuery:
    @query(
        "Roles by name; `search` looks in names and descriptions; `offset` at most 1000000, "
        "`limit` 1 to 500.",
        access=needs(PermissionName.ROLES_READ),
    )
    async def roles(
        self,
        info: Info[Context, None],
        search: str | None = None,
        is_active: bool | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> list[Role]:
        check_list_arguments(
            offset=offset, limit=limit, max_limit=roles.MAX_PAGE, texts={"search": search}
        )
        found = await roles.list_roles(
            info.context.deps,
            principal=await info.context.principal(),
            search=search,
            is_active=is_active,
            offset=offset,
            limit=limit,
        )
        return [role_from(info, one) for one in found]

    @query(
        "One role; null when there is none with this id.",
        access=needs(PermissionName.ROLES_READ),
    )
    async def role(self, info: Info[Context, None], id: strawberry.ID) -> Role | None:
        try:
            found = await roles.get_role(
                info.context.deps, principal=await info.context.principal(), role_id=parse_id(id)
            )
        except NotFound:
            return None
        return role_from(info, found)

    @query(
        "Permissions by name; `search` looks in names and descriptions. Every signed-in user "
        "may view them.",
        access=SIGNED_IN,
    )
    async def permissions(
        self,
        info: Info[Context, None],
        search: str | None = None,
        resource: str | None = None,
        action: str | None = None,
    ) -> list[Permission]:
        check_list_arguments(texts={"search": search, "resource": resource, "action": action})
        found = await permission_catalog.view_permissions(
            info.context.deps,
            principal=await info.context.principal(),
            search=search,
            resource=resource,
            action=action,
        )
        return [Permission.from_model(row) for row in found]

    @query("Permissions grouped by resource. Every signed-in user may view them.", access=SIGNED_IN)
    async def permission_groups(
        self,
        info: Info[Context, None],
        search: str | None = None,
        resource: str | None = None,
        action: str | None = None,
    ) -> list[PermissionGroup]:
        check_list_arguments(texts={"search": search, "resource": resource, "action": action})
        groups = await permission_catalog.grouped_permissions(
            info.context.deps,
            principal=await info.context.principal(),
            search=search,
            resource=resource,
            action=action,
        )
        return [
            PermissionGroup(resource=name, permissions=[Permission.from_model(r) for r in rows])
            for name, rows in groups.items()
        ]

    @query(
        "One permission; null when there is none with this id. Every signed-in user may view it.",
        access=SIGNED_IN,
    )
    async def permission(self, info: Info[Context, None], id: strawberry.ID) -> Permission | None:
        try:
            found = await permission_catalog.get_permission(
                info.context.deps,
                principal=await info.context.principal(),
                permission_id=parse_id(id),
            )
        except NotFound:
            return None
        return Permission.from_model(found)
