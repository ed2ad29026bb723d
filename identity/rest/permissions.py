"""The permission catalogue: seed 003's ``/v1/admin/permissions`` and seed 004's
``/api/v1/permissions*``.

Viewing one permission or the grouped catalogue is for every signed-in user, as seed 004
says; listing needs permissions:read, managing permissions:write.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from identity.rest.bodies import Body
from identity.rest.deps import DepsDep, PrincipalDep
from identity.rest.params import FilterText, Id
from identity.rest.rbac_shapes import permission_json
from identity.rest.responses.admin import DeletedOut, PermissionOut, PermissionsCountedOut
from identity.rest.routing import row
from identity.services import permission_catalog
from identity.services.permission_catalog import PermissionChanges


class PermissionBody(Body):
    name: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=5000)
    resource: str | None = Field(None, max_length=100)
    action: str | None = Field(None, max_length=100)

    def changes(self) -> PermissionChanges:
        return PermissionChanges(
            name=self.name,
            resource=self.resource,
            action=self.action,
            description=self.description,
        )


async def list_permissions_counted(deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    found = await permission_catalog.list_permissions(deps, principal=principal)
    return {"permissions": [permission_json(one) for one in found], "count": len(found)}


async def list_permissions(
    deps: DepsDep,
    principal: PrincipalDep,
    search: FilterText | None = None,
    resource: FilterText | None = None,
    action: FilterText | None = None,
) -> list[dict[str, Any]]:
    found = await permission_catalog.list_permissions(
        deps, principal=principal, search=search, resource=resource, action=action
    )
    return [permission_json(one) for one in found]


async def grouped_permissions(
    deps: DepsDep,
    principal: PrincipalDep,
    search: FilterText | None = None,
    resource: FilterText | None = None,
    action: FilterText | None = None,
) -> dict[str, list[dict[str, Any]]]:
    groups = await permission_catalog.grouped_permissions(
        deps, principal=principal, search=search, resource=resource, action=action
    )
    return {name: [permission_json(one) for one in rows] for name, rows in groups.items()}


async def create_permission(
    body: PermissionBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    created = await permission_catalog.create_permission(
        deps,
        principal=principal,
        name=body.name,
        resource=body.resource,
        action=body.action,
        description=body.description,
    )
    return permission_json(created)


async def get_permission(
    permission_id: Id, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    found = await permission_catalog.get_permission(
        deps, principal=principal, permission_id=permission_id
    )
    return permission_json(found)


async def update_permission(
    permission_id: Id, body: PermissionBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    updated = await permission_catalog.update_permission(
        deps, principal=principal, permission_id=permission_id, changes=body.changes()
    )
    return permission_json(updated)


async def delete_permission(
    permission_id: Id, deps: DepsDep, principal: PrincipalDep
) -> dict[str, str]:
    await permission_catalog.delete_permission(
        deps, principal=principal, permission_id=permission_id
    )
    return {"message": "Permission deleted", "id": str(permission_id)}


API_V1 = "/api/v1/permissions"
ONE = API_V1 + "/{permission_id}"

ROUTES = (
    row(
        "GET",
        "/v1/admin/permissions",
        list_permissions_counted,
        "List permissions (permissions:read)",
        seeds="003",
        response=PermissionsCountedOut,
    ),
    row(
        "GET",
        API_V1,
        list_permissions,
        "List permissions (permissions:read)",
        seeds="own",
        response=list[PermissionOut],
    ),
    row(
        "POST",
        API_V1,
        create_permission,
        "Create a custom permission (permissions:write)",
        seeds="004",
        response=PermissionOut,
        status_code=201,
    ),
    # Before ONE: "grouped" is not a permission's id.
    row(
        "GET",
        API_V1 + "/grouped",
        grouped_permissions,
        "Permissions grouped by resource (any signed-in user)",
        seeds="004",
        response=dict[str, list[PermissionOut]],
    ),
    row(
        "GET",
        ONE,
        get_permission,
        "A permission (any signed-in user)",
        seeds="004",
        response=PermissionOut,
    ),
    row(
        "PUT",
        ONE,
        update_permission,
        "Change a custom permission (permissions:write)",
        seeds="004",
        response=PermissionOut,
    ),
    row(
        "DELETE",
        ONE,
        delete_permission,
        "Delete a custom permission (permissions:write)",
        seeds="004",
        response=DeletedOut,
    ),
)
