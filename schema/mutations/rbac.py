"""Roles, permissions and users' roles: mutations, each a thin call into a service."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from identity.permissions import Permission as PermissionName
from identity.services import permission_catalog, roles
from identity.services.permission_catalog import PermissionChanges
from identity.services.roles import RoleChanges
from schema.context import Context
from schema.declare import mutation, needs
from schema.errors import (
    Conflict,
    LastSuperAdmin,
    NotFound,
    PermissionDenied,
    ProtectedResource,
    ValidationError,
)
from schema.ids import parse_id, parse_ids
from schema.types.rbac import (
    CreatePermissionInput,
    CreateRoleInput,
    Permission,
    PermissionDeleted,
    PermissionPayload,
    Role,
    RoleDeleted,
    RolePayload,
    UpdatePermissionInput,
    UpdateRoleInput,
    UserRolesPayload,
    role_from,
)

CreateRoleResult = Annotated[
    RolePayload | ValidationError | Conflict | NotFound | PermissionDenied,
    strawberry.union("CreateRoleResult", description="The new role, or why not."),
]
UpdateRoleResult = Annotated[
    RolePayload | ValidationError | Conflict | NotFound | ProtectedResource | PermissionDenied,
    strawberry.union("UpdateRoleResult", description="The changed role, or why not."),
]
DeleteRoleResult = Annotated[
    RoleDeleted | NotFound | ProtectedResource | Conflict | PermissionDenied,
    strawberry.union("DeleteRoleResult", description="The role was deleted, or why not."),
]
GrantRolePermissionsResult = Annotated[
    RolePayload | ValidationError | NotFound | ProtectedResource | PermissionDenied,
    strawberry.union(
        "GrantRolePermissionsResult", description="The role's permissions, or why not."
    ),
]
RevokeRolePermissionsResult = Annotated[
    RolePayload | ValidationError | NotFound | ProtectedResource | PermissionDenied,
    strawberry.union(
        "RevokeRolePermissionsResult", description="The role's permissions, or why not."
    ),
]
AssignUserRolesResult = Annotated[
    UserRolesPayload | ValidationError | NotFound | PermissionDenied | LastSuperAdmin,
    strawberry.union("AssignUserRolesResult", description="The user's roles, or why not."),
]
RemoveUserRolesResult = Annotated[
    UserRolesPayload | ValidationError | NotFound | PermissionDenied | LastSuperAdmin,
    strawberry.union("RemoveUserRolesResult", description="The user's roles, or why not."),
]
CreatePermissionResult = Annotated[
    PermissionPayload | ValidationError | Conflict | NotFound | ProtectedResource,
    strawberry.union("CreatePermissionResult", description="The new permission, or why not."),
]
UpdatePermissionResult = Annotated[
    PermissionPayload | ValidationError | Conflict | NotFound | ProtectedResource,
    strawberry.union("UpdatePermissionResult", description="The permission, or why not."),
]
DeletePermissionResult = Annotated[
    PermissionDeleted | NotFound | ProtectedResource | PermissionDenied,
    strawberry.union("DeletePermissionResult", description="It was deleted, or why not."),
]


@strawberry.type
class RbacMutations:
    @mutation(
        "Create a custom role, optionally granting permissions (you must hold them).",
        access=needs(PermissionName.ROLES_WRITE),
    )
    async def create_role(
        self, info: Info[Context, None], input: CreateRoleInput
    ) -> CreateRoleResult:
        created = await roles.create_role(
            info.context.deps,
            principal=await info.context.principal(),
            name=input.name,
            description=input.description,
            is_active=input.is_active,
            tenant_id=parse_id(input.tenant_id, field="tenantId") if input.tenant_id else None,
            permission_ids=parse_ids(input.permission_ids, field="permissionIds"),
        )
        return RolePayload(role=role_from(info, created))

    @mutation(
        "Rename, describe, activate or deactivate a custom role; you must hold every "
        "permission it grants (PRIVILEGE_ESCALATION); system roles are refused (SYSTEM_ROLE).",
        access=needs(PermissionName.ROLES_WRITE),
    )
    async def update_role(
        self, info: Info[Context, None], id: strawberry.ID, input: UpdateRoleInput
    ) -> UpdateRoleResult:
        updated = await roles.update_role(
            info.context.deps,
            principal=await info.context.principal(),
            role_id=parse_id(id),
            changes=RoleChanges(
                name=input.name, description=input.description, is_active=input.is_active
            ),
        )
        return RolePayload(role=role_from(info, updated))

    @mutation(
        "Delete a custom role (refused while it is an account's primary role); you must "
        "hold every permission it grants (PRIVILEGE_ESCALATION).",
        access=needs(PermissionName.ROLES_WRITE),
    )
    async def delete_role(self, info: Info[Context, None], id: strawberry.ID) -> DeleteRoleResult:
        await roles.delete_role(
            info.context.deps, principal=await info.context.principal(), role_id=parse_id(id)
        )
        return RoleDeleted(id=id)

    @mutation(
        "Grant permissions to a custom role; you must hold each of them.",
        access=needs(PermissionName.ROLES_WRITE),
    )
    async def grant_role_permissions(
        self,
        info: Info[Context, None],
        role_id: strawberry.ID,
        permission_ids: list[strawberry.ID],
    ) -> GrantRolePermissionsResult:
        details = await roles.grant_permissions(
            info.context.deps,
            principal=await info.context.principal(),
            role_id=parse_id(role_id, field="roleId"),
            permission_ids=parse_ids(permission_ids, field="permissionIds"),
        )
        return RolePayload(role=role_from(info, details))

    @mutation(
        "Take permissions from a custom role; its holders lose them at once. You must "
        "hold every permission the role grants (PRIVILEGE_ESCALATION).",
        access=needs(PermissionName.ROLES_WRITE),
    )
    async def revoke_role_permissions(
        self,
        info: Info[Context, None],
        role_id: strawberry.ID,
        permission_ids: list[strawberry.ID],
    ) -> RevokeRolePermissionsResult:
        details = await roles.revoke_permissions(
            info.context.deps,
            principal=await info.context.principal(),
            role_id=parse_id(role_id, field="roleId"),
            permission_ids=parse_ids(permission_ids, field="permissionIds"),
        )
        return RolePayload(role=role_from(info, details))

    @mutation(
        "Give a user roles; you must hold every permission they grant.",
        access=needs(PermissionName.USERS_WRITE),
    )
    async def assign_user_roles(
        self, info: Info[Context, None], user_id: strawberry.ID, role_ids: list[strawberry.ID]
    ) -> AssignUserRolesResult:
        held = await roles.assign_roles(
            info.context.deps,
            principal=await info.context.principal(),
            user_id=parse_id(user_id, field="userId"),
            role_ids=parse_ids(role_ids, field="roleIds"),
        )
        return UserRolesPayload(user_id=user_id, roles=[Role.from_model(one) for one in held])

    @mutation(
        "Take roles from a user (a primary role falls back to user); you must hold every "
        "permission they grant, and the last active super-admin keeps the role "
        "(LAST_SUPERADMIN).",
        access=needs(PermissionName.USERS_WRITE),
    )
    async def remove_user_roles(
        self, info: Info[Context, None], user_id: strawberry.ID, role_ids: list[strawberry.ID]
    ) -> RemoveUserRolesResult:
        held = await roles.remove_roles(
            info.context.deps,
            principal=await info.context.principal(),
            user_id=parse_id(user_id, field="userId"),
            role_ids=parse_ids(role_ids, field="roleIds"),
        )
        return UserRolesPayload(user_id=user_id, roles=[Role.from_model(one) for one in held])

    @mutation(
        "Create a custom permission named resource:action; the super-admin role holds it at once.",
        access=needs(PermissionName.PERMISSIONS_WRITE),
    )
    async def create_permission(
        self, info: Info[Context, None], input: CreatePermissionInput
    ) -> CreatePermissionResult:
        created = await permission_catalog.create_permission(
            info.context.deps,
            principal=await info.context.principal(),
            name=input.name,
            resource=input.resource,
            action=input.action,
            description=input.description,
        )
        return PermissionPayload(permission=Permission.from_model(created))

    @mutation(
        "Change a custom permission; built-in ones are refused (SYSTEM_PERMISSION).",
        access=needs(PermissionName.PERMISSIONS_WRITE),
    )
    async def update_permission(
        self, info: Info[Context, None], id: strawberry.ID, input: UpdatePermissionInput
    ) -> UpdatePermissionResult:
        updated = await permission_catalog.update_permission(
            info.context.deps,
            principal=await info.context.principal(),
            permission_id=parse_id(id),
            changes=PermissionChanges(
                name=input.name,
                resource=input.resource,
                action=input.action,
                description=input.description,
            ),
        )
        return PermissionPayload(permission=Permission.from_model(updated))

    @mutation(
        "Delete a custom permission and every grant of it; you must hold it "
        "(PRIVILEGE_ESCALATION); built-in ones are refused (SYSTEM_PERMISSION).",
        access=needs(PermissionName.PERMISSIONS_WRITE),
    )
    async def delete_permission(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> DeletePermissionResult:
        await permission_catalog.delete_permission(
            info.context.deps,
            principal=await info.context.principal(),
            permission_id=parse_id(id),
        )
        return PermissionDeleted(id=id)
