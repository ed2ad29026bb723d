"""Seed 003's administration: ``/v1/admin/roles``, ``/permissions``, users' roles, settings,
services.

Seed 003 says "requires admin role"; each route asks the service, which requires the
permission the admin role carries: roles:read/roles:write, permissions:read, users:write (a
user's roles), settings:read/settings:write.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from pydantic import Field

from identity import __version__
from identity.rest.bodies import Body
from identity.rest.deps import DepsDep, PrincipalDep, RuntimeDep
from identity.rest.params import Offset, RolesPageSize
from identity.rest.rbac_shapes import (
    permission_json,
    role_details_json,
    role_json,
    service_report_json,
    setting_json,
)
from identity.services import permission_catalog, roles, runtime_settings, service_status
from identity.services.roles import RoleChanges

router = APIRouter(prefix="/v1/admin", tags=["administration (seed 003)"])


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


class RoleIdsBody(Body):
    """Seed 003 sends one ``role_id``; seed 004 a list, ``role_ids``."""

    role_id: uuid.UUID | None = None
    role_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)

    def ids(self) -> list[uuid.UUID]:
        return [*([self.role_id] if self.role_id else []), *self.role_ids]


class SettingBody(Body):
    value: Any = Field(description="The new value: true/false or a whole number.")


# --- roles -----------------------------------------------------------------------------------


@router.get("/roles", summary="List roles (roles:read)")
async def list_roles(
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


@router.post("/roles", status_code=201, summary="Create a role (roles:write)")
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


@router.get("/roles/{role_id}", summary="A role with its permissions (roles:read)")
async def get_role(role_id: uuid.UUID, deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    return role_details_json(await roles.get_role(deps, principal=principal, role_id=role_id))


@router.put("/roles/{role_id}", summary="Change a custom role (roles:write)")
async def update_role(
    role_id: uuid.UUID, body: UpdateRoleBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    updated = await roles.update_role(
        deps, principal=principal, role_id=role_id, changes=body.changes()
    )
    return role_details_json(updated)


@router.delete("/roles/{role_id}", summary="Delete a custom role (roles:write)")
async def delete_role(role_id: uuid.UUID, deps: DepsDep, principal: PrincipalDep) -> dict[str, str]:
    await roles.delete_role(deps, principal=principal, role_id=role_id)
    return {"message": "Role deleted", "id": str(role_id)}


@router.get("/roles/{role_id}/permissions", summary="A role's permissions (roles:read)")
async def role_permissions(
    role_id: uuid.UUID, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    found = await roles.role_permissions(deps, principal=principal, role_id=role_id)
    return {"role_id": str(role_id), "permissions": [permission_json(row) for row in found]}


@router.post(
    "/roles/{role_id}/permissions",
    summary="Grant a permission to a custom role (roles:write; you must hold it)",
)
async def grant_permission(
    role_id: uuid.UUID, body: PermissionIdsBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    details = await roles.grant_permissions(
        deps, principal=principal, role_id=role_id, permission_ids=body.ids()
    )
    return {
        "message": "Permission assigned",
        "role": role_details_json(details),
        "permissions": [permission_json(row) for row in details.permissions],
    }


@router.delete(
    "/roles/{role_id}/permissions/{permission_id}",
    summary="Take a permission from a custom role (roles:write)",
)
async def revoke_permission(
    role_id: uuid.UUID, permission_id: uuid.UUID, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    details = await roles.revoke_permissions(
        deps, principal=principal, role_id=role_id, permission_ids=[permission_id]
    )
    return {
        "message": "Permission removed",
        "role": role_details_json(details),
        "permissions": [permission_json(row) for row in details.permissions],
    }


# --- permissions and users' roles ------------------------------------------------------------


@router.get("/permissions", summary="List permissions (permissions:read)")
async def list_permissions(deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    found = await permission_catalog.list_permissions(deps, principal=principal)
    return {"permissions": [permission_json(row) for row in found], "count": len(found)}


@router.post(
    "/users/{user_id}/roles",
    summary="Assign a role to a user (users:write; you must hold its permissions)",
)
async def assign_role(
    user_id: uuid.UUID, body: RoleIdsBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    held = await roles.assign_roles(deps, principal=principal, user_id=user_id, role_ids=body.ids())
    return {
        "message": "Role assigned",
        "user_id": str(user_id),
        "roles": [role_json(one) for one in held],
    }


@router.delete(
    "/users/{user_id}/roles/{role_id}",
    summary="Remove a role from a user (users:write; never the last super-admin)",
)
async def remove_role(
    user_id: uuid.UUID, role_id: uuid.UUID, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    held = await roles.remove_roles(deps, principal=principal, user_id=user_id, role_ids=[role_id])
    return {
        "message": "Role removed",
        "user_id": str(user_id),
        "roles": [role_json(one) for one in held],
    }


# --- settings and services -------------------------------------------------------------------


@router.get("/settings", summary="List runtime settings (settings:read)")
async def list_settings(deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    found = await runtime_settings.list_settings(deps, principal=principal)
    return {"settings": [setting_json(one) for one in found]}


@router.patch("/settings/{key}", summary="Change a runtime setting (settings:write)")
async def update_setting(
    key: str, body: SettingBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    changed = await runtime_settings.update_setting(
        deps, principal=principal, key=key, value=body.value
    )
    return setting_json(changed)


@router.get("/services", summary="State of the service's components (settings:read)")
async def services(runtime: RuntimeDep, principal: PrincipalDep) -> dict[str, Any]:
    report = await service_status.service_status(
        runtime.deps,
        principal=principal,
        mail=runtime.mail,
        uptime_seconds=runtime.uptime_seconds(),
    )
    return service_report_json(report, version=__version__, environment=runtime.settings.env.value)
