"""Roles, permissions and users' roles: mutations, each a thin call into a service."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated

import strawberry
from strawberry.types import Info

from identity.errors import IdentityError
from identity.errors import NotFound as NotFoundError
from identity.permissions import Permission as PermissionName
from identity.services import permission_catalog, roles
from identity.services.permission_catalog import PermissionChanges
from identity.services.roles import RoleChanges
from schema.context import Context
from schema.errors import (
    Conflict,
    LastSuperAdmin,
    NotFound,
    PermissionDenied,
    ProtectedResource,
    ValidationError,
    error_from,
)
from schema.permissions import HasPermission, requires
from schema.queries.rbac import role_from
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
RolePermissionsResult = Annotated[
    RolePayload | ValidationError | NotFound | ProtectedResource | PermissionDenied,
    strawberry.union("RolePermissionsResult", description="The role's permissions, or why not."),
]
UserRolesResult = Annotated[
    UserRolesPayload | ValidationError | NotFound | PermissionDenied | LastSuperAdmin,
    strawberry.union("UserRolesResult", description="The user's roles, or why not."),
]
PermissionResult = Annotated[
    PermissionPayload | ValidationError | Conflict | NotFound | ProtectedResource,
    strawberry.union("PermissionResult", description="The permission, or why not."),
]
DeletePermissionResult = Annotated[
    PermissionDeleted | NotFound | ProtectedResource | PermissionDenied,
    strawberry.union("DeletePermissionResult", description="It was deleted, or why not."),
]


def _id(value: strawberry.ID, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise NotFoundError("No such id", field=field) from exc


def _ids(values: Sequence[strawberry.ID], field: str) -> list[uuid.UUID]:
    return [_id(value, field) for value in values]


# The error types of each union above, for error_from.
CREATE_ROLE_ERRORS = (ValidationError, Conflict, NotFound, PermissionDenied)
UPDATE_ROLE_ERRORS = (ValidationError, Conflict, NotFound, ProtectedResource, PermissionDenied)
DELETE_ROLE_ERRORS = (NotFound, ProtectedResource, Conflict, PermissionDenied)
ROLE_PERMISSIONS_ERRORS = (ValidationError, NotFound, ProtectedResource, PermissionDenied)
USER_ROLES_ERRORS = (ValidationError, NotFound, PermissionDenied, LastSuperAdmin)
PERMISSION_ERRORS = (ValidationError, Conflict, NotFound, ProtectedResource)
DELETE_PERMISSION_ERRORS = (NotFound, ProtectedResource, PermissionDenied)


@strawberry.type
class RbacMutations:
    @strawberry.mutation(
        description="Create a custom role, optionally granting permissions (you must hold "
        f"them). {requires(PermissionName.ROLES_WRITE)}",
        permission_classes=[HasPermission(PermissionName.ROLES_WRITE)],
    )
    async def create_role(
        self, info: Info[Context, None], input: CreateRoleInput
    ) -> CreateRoleResult:
        try:
            created = await roles.create_role(
                info.context.deps,
                principal=await info.context.principal(),
                name=input.name,
                description=input.description,
                is_active=input.is_active,
                tenant_id=_id(input.tenant_id, "tenantId") if input.tenant_id else None,
                permission_ids=_ids(input.permission_ids, "permissionIds"),
            )
        except IdentityError as exc:
            return error_from(exc, *CREATE_ROLE_ERRORS)  # type: ignore[return-value]
        return RolePayload(role=role_from(info, created))

    @strawberry.mutation(
        description="Rename, describe, activate or deactivate a custom role; you must hold "
        "every permission it grants (PRIVILEGE_ESCALATION); system roles are refused "
        f"(SYSTEM_ROLE). {requires(PermissionName.ROLES_WRITE)}",
        permission_classes=[HasPermission(PermissionName.ROLES_WRITE)],
    )
    async def update_role(
        self, info: Info[Context, None], id: strawberry.ID, input: UpdateRoleInput
    ) -> UpdateRoleResult:
        try:
            updated = await roles.update_role(
                info.context.deps,
                principal=await info.context.principal(),
                role_id=_id(id, "id"),
                changes=RoleChanges(
                    name=input.name, description=input.description, is_active=input.is_active
                ),
            )
        except IdentityError as exc:
            return error_from(exc, *UPDATE_ROLE_ERRORS)  # type: ignore[return-value]
        return RolePayload(role=role_from(info, updated))

    @strawberry.mutation(
        description="Delete a custom role (refused while it is an account's primary role); "
        "you must hold every permission it grants (PRIVILEGE_ESCALATION). "
        f"{requires(PermissionName.ROLES_WRITE)}",
        permission_classes=[HasPermission(PermissionName.ROLES_WRITE)],
    )
    async def delete_role(self, info: Info[Context, None], id: strawberry.ID) -> DeleteRoleResult:
        try:
            await roles.delete_role(
                info.context.deps, principal=await info.context.principal(), role_id=_id(id, "id")
            )
        except IdentityError as exc:
            return error_from(exc, *DELETE_ROLE_ERRORS)  # type: ignore[return-value]
        return RoleDeleted(id=id)

    @strawberry.mutation(
        description="Grant permissions to a custom role; you must hold each of them. "
        f"{requires(PermissionName.ROLES_WRITE)}",
        permission_classes=[HasPermission(PermissionName.ROLES_WRITE)],
    )
    async def grant_role_permissions(
        self,
        info: Info[Context, None],
        role_id: strawberry.ID,
        permission_ids: list[strawberry.ID],
    ) -> RolePermissionsResult:
        try:
            details = await roles.grant_permissions(
                info.context.deps,
                principal=await info.context.principal(),
                role_id=_id(role_id, "roleId"),
                permission_ids=_ids(permission_ids, "permissionIds"),
            )
        except IdentityError as exc:
            return error_from(exc, *ROLE_PERMISSIONS_ERRORS)  # type: ignore[return-value]
        return RolePayload(role=role_from(info, details))

    @strawberry.mutation(
        description="Take permissions from a custom role; its holders lose them at once. You "
        "must hold every permission the role grants (PRIVILEGE_ESCALATION). "
        f"{requires(PermissionName.ROLES_WRITE)}",
        permission_classes=[HasPermission(PermissionName.ROLES_WRITE)],
    )
    async def revoke_role_permissions(
        self,
        info: Info[Context, None],
        role_id: strawberry.ID,
        permission_ids: list[strawberry.ID],
    ) -> RolePermissionsResult:
        try:
            details = await roles.revoke_permissions(
                info.context.deps,
                principal=await info.context.principal(),
                role_id=_id(role_id, "roleId"),
                permission_ids=_ids(permission_ids, "permissionIds"),
            )
        except IdentityError as exc:
            return error_from(exc, *ROLE_PERMISSIONS_ERRORS)  # type: ignore[return-value]
        return RolePayload(role=role_from(info, details))

    @strawberry.mutation(
        description="Give a user roles; you must hold every permission they grant. "
        f"{requires(PermissionName.USERS_WRITE)}",
        permission_classes=[HasPermission(PermissionName.USERS_WRITE)],
    )
    async def assign_user_roles(
        self, info: Info[Context, None], user_id: strawberry.ID, role_ids: list[strawberry.ID]
    ) -> UserRolesResult:
        try:
            held = await roles.assign_roles(
                info.context.deps,
                principal=await info.context.principal(),
                user_id=_id(user_id, "userId"),
                role_ids=_ids(role_ids, "roleIds"),
            )
        except IdentityError as exc:
            return error_from(exc, *USER_ROLES_ERRORS)  # type: ignore[return-value]
        return UserRolesPayload(user_id=user_id, roles=[Role.from_model(one) for one in held])

    @strawberry.mutation(
        description="Take roles from a user (a primary role falls back to user); you must hold "
        "every permission they grant, and the last active super-admin keeps the role "
        f"(LAST_SUPERADMIN). {requires(PermissionName.USERS_WRITE)}",
        permission_classes=[HasPermission(PermissionName.USERS_WRITE)],
    )
    async def remove_user_roles(
        self, info: Info[Context, None], user_id: strawberry.ID, role_ids: list[strawberry.ID]
    ) -> UserRolesResult:
        try:
            held = await roles.remove_roles(
                info.context.deps,
                principal=await info.context.principal(),
                user_id=_id(user_id, "userId"),
                role_ids=_ids(role_ids, "roleIds"),
            )
        except IdentityError as exc:
            return error_from(exc, *USER_ROLES_ERRORS)  # type: ignore[return-value]
        return UserRolesPayload(user_id=user_id, roles=[Role.from_model(one) for one in held])

    @strawberry.mutation(
        description="Create a custom permission named resource:action; the super-admin role "
        f"holds it at once. {requires(PermissionName.PERMISSIONS_WRITE)}",
        permission_classes=[HasPermission(PermissionName.PERMISSIONS_WRITE)],
    )
    async def create_permission(
        self, info: Info[Context, None], input: CreatePermissionInput
    ) -> PermissionResult:
        try:
            created = await permission_catalog.create_permission(
                info.context.deps,
                principal=await info.context.principal(),
                name=input.name,
                resource=input.resource,
                action=input.action,
                description=input.description,
            )
        except IdentityError as exc:
            return error_from(exc, *PERMISSION_ERRORS)  # type: ignore[return-value]
        return PermissionPayload(permission=Permission.from_model(created))

    @strawberry.mutation(
        description="Change a custom permission; built-in ones are refused (SYSTEM_PERMISSION). "
        f"{requires(PermissionName.PERMISSIONS_WRITE)}",
        permission_classes=[HasPermission(PermissionName.PERMISSIONS_WRITE)],
    )
    async def update_permission(
        self, info: Info[Context, None], id: strawberry.ID, input: UpdatePermissionInput
    ) -> PermissionResult:
        try:
            updated = await permission_catalog.update_permission(
                info.context.deps,
                principal=await info.context.principal(),
                permission_id=_id(id, "id"),
                changes=PermissionChanges(
                    name=input.name,
                    resource=input.resource,
                    action=input.action,
                    description=input.description,
                ),
            )
        except IdentityError as exc:
            return error_from(exc, *PERMISSION_ERRORS)  # type: ignore[return-value]
        return PermissionPayload(permission=Permission.from_model(updated))

    @strawberry.mutation(
        description="Delete a custom permission and every grant of it; you must hold it "
        "(PRIVILEGE_ESCALATION); built-in ones are refused (SYSTEM_PERMISSION). "
        f"{requires(PermissionName.PERMISSIONS_WRITE)}",
        permission_classes=[HasPermission(PermissionName.PERMISSIONS_WRITE)],
    )
    async def delete_permission(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> DeletePermissionResult:
        try:
            await permission_catalog.delete_permission(
                info.context.deps,
                principal=await info.context.principal(),
                permission_id=_id(id, "id"),
            )
        except IdentityError as exc:
            return error_from(exc, *DELETE_PERMISSION_ERRORS)  # type: ignore[return-value]
        return PermissionDeleted(id=id)
