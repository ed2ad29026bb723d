"""Roles and their permissions: seed 003's ``/v1/admin/roles*`` and seed 004's
``/api/v1/roles*``.

Seed 003 says "requires admin role" and seed 004 grants by level (super admin, organization
admin); here each route asks the service, which requires the permission of the operation:
roles:read or roles:write (and holding a permission to grant it).
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import Field

from identity.rest.bodies import Body
from identity.rest.deps import DepsDep, PrincipalDep
from identity.rest.params import FilterText, Id, Offset, RolesPageSize
from identity.rest.rbac_shapes import permission_json, role_details_json
from identity.rest.responses.admin import (
    DeletedOut,
    RoleChangedOut,
    RoleOut,
    RolePermissionsOut,
    RolesPageOut,
)
from identity.rest.routing import row
from identity.services import roles
from identity.services.roles import RoleChanges


class CreateRoleBody(Body):
    name: str = Field(max_length=1000)
    description: str | None = Field(None, max_length=5000)
    is_active: bool = True
    tenant_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    permission_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)


class UpdateRoleBody(Body):
    name: str | None = Field(None, max_length=1000)
    description: str | None = Field(None, max_length=5000)
    is_active: bool | None = None

    def changes(self) -> RoleChanges:
        return RoleChanges(name=self.name, description=self.description, is_active=self.is_active)


class PermissionIdsBody(Body):
    """Seed 003 sends one ``permission_id``; seed 004 a list, ``permission_ids``."""

    permission_id: uuid.UUID | None = None
    permission_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)

    def ids(self) -> list[uuid.UUID]:
        return [*([self.permission_id] if self.permission_id else []), *self.permission_ids]


async def list_roles_page(
    deps: DepsDep,
    principal: PrincipalDep,
    limit: RolesPageSize = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    found = await roles.list_roles(deps, principal=principal, offset=offset, limit=limit)
    return {
        "roles": [role_details_json(one) for one in found],
        "count": len(found),
        "limit": limit,
        "offset": offset,
    }


async def list_roles(
    deps: DepsDep,
    principal: PrincipalDep,
    skip: Offset = 0,
    limit: RolesPageSize = 100,
    search: FilterText | None = None,
    is_active: bool | None = None,
) -> list[dict[str, Any]]:
    found = await roles.list_roles(
        deps, principal=principal, search=search, is_active=is_active, offset=skip, limit=limit
    )
    return [role_details_json(one) for one in found]


async def create_role(
    body: CreateRoleBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    created = await roles.create_role(
        deps,
        principal=principal,
        name=body.name,
        description=body.description,
        is_active=body.is_active,
        tenant_id=body.tenant_id or body.organization_id,
        permission_ids=body.permission_ids,
    )
    return role_details_json(created)


async def get_role(role_id: Id, deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    return role_details_json(await roles.get_role(deps, principal=principal, role_id=role_id))


async def update_role(
    role_id: Id, body: UpdateRoleBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    updated = await roles.update_role(
        deps, principal=principal, role_id=role_id, changes=body.changes()
    )
    return role_details_json(updated)


async def delete_role(role_id: Id, deps: DepsDep, principal: PrincipalDep) -> dict[str, str]:
    await roles.delete_role(deps, principal=principal, role_id=role_id)
    return {"message": "Role deleted", "id": str(role_id)}


async def role_permissions(role_id: Id, deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    found = await roles.role_permissions(deps, principal=principal, role_id=role_id)
    return {"role_id": str(role_id), "permissions": [permission_json(one) for one in found]}


def _changed(message: str, details: roles.RoleDetails) -> dict[str, Any]:
    return {
        "message": message,
        "role": role_details_json(details),
        "permissions": [permission_json(one) for one in details.permissions],
    }


async def grant_permission(
    role_id: Id, body: PermissionIdsBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    details = await roles.grant_permissions(
        deps, principal=principal, role_id=role_id, permission_ids=body.ids()
    )
    return _changed("Permission assigned", details)


async def revoke_permission(
    role_id: Id, permission_id: Id, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    details = await roles.revoke_permissions(
        deps, principal=principal, role_id=role_id, permission_ids=[permission_id]
    )
    return _changed("Permission removed", details)


async def grant_permissions(
    role_id: Id, body: PermissionIdsBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    details = await roles.grant_permissions(
        deps, principal=principal, role_id=role_id, permission_ids=body.ids()
    )
    return role_details_json(details)


async def revoke_permissions(
    role_id: Id, body: PermissionIdsBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    details = await roles.revoke_permissions(
        deps, principal=principal, role_id=role_id, permission_ids=body.ids()
    )
    return role_details_json(details)


V1 = "/v1/admin/roles"
API_V1 = "/api/v1/roles"
ONE_V1 = V1 + "/{role_id}"
ONE_API_V1 = API_V1 + "/{role_id}"
LIST = "List roles (roles:read)"
CREATE = "Create a role (roles:write)"
GET = "A role with its permissions (roles:read)"
UPDATE = "Change a custom role (roles:write)"
DELETE = "Delete a custom role (roles:write)"

ROUTES = (
    row("GET", V1, list_roles_page, LIST, seeds="003", response=RolesPageOut),
    row("GET", API_V1, list_roles, LIST, seeds="004", response=list[RoleOut]),
    row("POST", V1, create_role, CREATE, seeds="003", response=RoleOut, status_code=201),
    row("POST", API_V1, create_role, CREATE, seeds="004", response=RoleOut, status_code=201),
    row("GET", ONE_V1, get_role, GET, seeds="003", response=RoleOut),
    row("GET", ONE_API_V1, get_role, GET, seeds="004", response=RoleOut),
    row("PUT", ONE_V1, update_role, UPDATE, seeds="003", response=RoleOut),
    row("PUT", ONE_API_V1, update_role, UPDATE, seeds="004", response=RoleOut),
    row("DELETE", ONE_V1, delete_role, DELETE, seeds="003", response=DeletedOut),
    row("DELETE", ONE_API_V1, delete_role, DELETE, seeds="004", response=DeletedOut),
    row(
        "GET",
        ONE_V1 + "/permissions",
        role_permissions,
        "A role's permissions (roles:read)",
        seeds="003",
        response=RolePermissionsOut,
    ),
    row(
        "POST",
        ONE_V1 + "/permissions",
        grant_permission,
        "Grant a permission to a custom role (roles:write; you must hold it)",
        seeds="003",
        response=RoleChangedOut,
    ),
    row(
        "DELETE",
        ONE_V1 + "/permissions/{permission_id}",
        revoke_permission,
        "Take a permission from a custom role (roles:write)",
        seeds="003",
        response=RoleChangedOut,
    ),
    row(
        "POST",
        ONE_API_V1 + "/permissions",
        grant_permissions,
        "Grant permissions to a custom role (roles:write; you must hold them)",
        seeds="004",
        response=RoleOut,
    ),
    row(
        "DELETE",
        ONE_API_V1 + "/permissions",
        revoke_permissions,
        "Take permissions from a custom role (roles:write)",
        seeds="004",
        response=RoleOut,
    ),
)
