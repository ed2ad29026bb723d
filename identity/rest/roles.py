"""Seed 004's roles and permissions: ``/api/v1/roles*``, ``/api/v1/permissions*`` and
``/api/v1/users/{user_id}/roles``.

Seed 004 grants these by level (super admin, organization admin); here each needs the
permission of the operation: roles:read/roles:write, permissions:read/permissions:write,
users:read/users:write (a user's roles). Viewing one permission or the grouped catalogue is for
every signed-in user, as seed 004 says.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from pydantic import Field

from identity.rest import admin_roles
from identity.rest.admin_roles import (
    PermissionIdsBody,
    RoleIdsBody,
)
from identity.rest.bodies import Body
from identity.rest.deps import DepsDep, PrincipalDep
from identity.rest.params import FilterText, Offset, RolesPageSize
from identity.rest.rbac_shapes import permission_json, role_details_json, role_json
from identity.services import permission_catalog, roles
from identity.services.permission_catalog import PermissionChanges

router = APIRouter(prefix="/api/v1", tags=["roles and permissions (seed 004)"])


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


# --- roles -----------------------------------------------------------------------------------


@router.get("/roles", summary="List roles (roles:read)")
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


# Seed 003 (/v1/admin/roles...) and seed 004 share these handlers.
router.post("/roles", status_code=201, summary="Create a role (roles:write)")(
    admin_roles.create_role
)
router.get("/roles/{role_id}", summary="A role with its permissions (roles:read)")(
    admin_roles.get_role
)
router.put("/roles/{role_id}", summary="Change a custom role (roles:write)")(
    admin_roles.update_role
)
router.delete("/roles/{role_id}", summary="Delete a custom role (roles:write)")(
    admin_roles.delete_role
)


@router.post(
    "/roles/{role_id}/permissions",
    summary="Grant permissions to a custom role (roles:write; you must hold them)",
)
async def grant_permissions(
    role_id: uuid.UUID, body: PermissionIdsBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    details = await roles.grant_permissions(
        deps, principal=principal, role_id=role_id, permission_ids=body.ids()
    )
    return role_details_json(details)


@router.delete(
    "/roles/{role_id}/permissions", summary="Take permissions from a custom role (roles:write)"
)
async def revoke_permissions(
    role_id: uuid.UUID, body: PermissionIdsBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    details = await roles.revoke_permissions(
        deps, principal=principal, role_id=role_id, permission_ids=body.ids()
    )
    return role_details_json(details)


# --- permissions -----------------------------------------------------------------------------


@router.post(
    "/permissions", status_code=201, summary="Create a custom permission (permissions:write)"
)
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


@router.get("/permissions", summary="List permissions (permissions:read)")
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
    return [permission_json(row) for row in found]


@router.get("/permissions/grouped", summary="Permissions grouped by resource (any signed-in user)")
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
    return {name: [permission_json(row) for row in rows] for name, rows in groups.items()}


@router.get("/permissions/{permission_id}", summary="A permission (any signed-in user)")
async def get_permission(
    permission_id: uuid.UUID, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    found = await permission_catalog.get_permission(
        deps, principal=principal, permission_id=permission_id
    )
    return permission_json(found)


@router.put(
    "/permissions/{permission_id}", summary="Change a custom permission (permissions:write)"
)
async def update_permission(
    permission_id: uuid.UUID, body: PermissionBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    updated = await permission_catalog.update_permission(
        deps, principal=principal, permission_id=permission_id, changes=body.changes()
    )
    return permission_json(updated)


@router.delete(
    "/permissions/{permission_id}", summary="Delete a custom permission (permissions:write)"
)
async def delete_permission(
    permission_id: uuid.UUID, deps: DepsDep, principal: PrincipalDep
) -> dict[str, str]:
    await permission_catalog.delete_permission(
        deps, principal=principal, permission_id=permission_id
    )
    return {"message": "Permission deleted", "id": str(permission_id)}


# --- users' roles ----------------------------------------------------------------------------


def _user_roles_json(user_id: uuid.UUID, held: list[Any], message: str) -> dict[str, Any]:
    return {"message": message, "user_id": str(user_id), "roles": [role_json(r) for r in held]}


@router.get("/users/{user_id}/roles", summary="The roles a user holds (users:read)")
async def user_roles(user_id: uuid.UUID, deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    held = await roles.user_roles(deps, principal=principal, user_id=user_id)
    return _user_roles_json(user_id, held, "Roles of the user")


@router.post(
    "/users/{user_id}/roles",
    summary="Assign roles to a user (users:write; you must hold their permissions)",
)
async def assign_roles(
    user_id: uuid.UUID, body: RoleIdsBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    held = await roles.assign_roles(deps, principal=principal, user_id=user_id, role_ids=body.ids())
    return _user_roles_json(user_id, held, "Roles assigned")


@router.delete(
    "/users/{user_id}/roles",
    summary="Remove roles from a user (users:write; never the last super-admin)",
)
async def remove_roles(
    user_id: uuid.UUID, body: RoleIdsBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    held = await roles.remove_roles(deps, principal=principal, user_id=user_id, role_ids=body.ids())
    return _user_roles_json(user_id, held, "Roles removed")
