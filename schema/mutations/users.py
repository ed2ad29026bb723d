"""Users administration mutations: thin calls into ``services.users_admin``.

The permission each mutation needs is declared on the field (a caller without it gets an
error with ``extensions.code`` PERMISSION_DENIED, AUTHENTICATION_REQUIRED when anonymous);
what the service refuses beyond that (an extra permission, privilege escalation, the last
super-admin) comes back as a member of the mutation's result union.
"""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from identity.permissions import Permission
from identity.services import users_admin
from schema.context import Context
from schema.declare import SIGNED_IN, mutation, needs
from schema.errors import (
    Conflict,
    InvalidCredentials,
    LastSuperAdmin,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
    ValidationError,
)
from schema.ids import parse_id, parse_ids
from schema.types.auth import UserPayload
from schema.types.user import User
from schema.types.users import (
    BulkUserActionInput,
    BulkUserActionPayload,
    CreateUserInput,
    LockUserInput,
    UpdateUserInput,
    UserDeleted,
    UserPermissionsPayload,
)

CreateUserResult = Annotated[
    UserPayload | ValidationError | Conflict | PermissionDenied,
    strawberry.union("CreateUserResult", description="The new user, or why not."),
]
CreateAdminUserResult = Annotated[
    UserPayload | ValidationError | Conflict | PermissionDenied,
    strawberry.union("CreateAdminUserResult", description="The new administrator, or why not."),
]
UpdateUserResult = Annotated[
    UserPayload
    | ValidationError
    | Conflict
    | NotFound
    | PermissionDenied
    | LastSuperAdmin
    | InvalidCredentials
    | TooManyAttempts,
    strawberry.union("UpdateUserResult", description="The changed user, or why not."),
]
ReplaceUserResult = Annotated[
    UserPayload
    | ValidationError
    | Conflict
    | NotFound
    | PermissionDenied
    | LastSuperAdmin
    | InvalidCredentials
    | TooManyAttempts,
    strawberry.union("ReplaceUserResult", description="The replaced user, or why not."),
]
DeleteUserResult = Annotated[
    UserDeleted | ValidationError | NotFound | PermissionDenied | LastSuperAdmin,
    strawberry.union("DeleteUserResult", description="The user was deleted, or why not."),
]
LockUserResult = Annotated[
    UserPayload | ValidationError | NotFound | PermissionDenied | LastSuperAdmin,
    strawberry.union("LockUserResult", description="The locked user, or why not."),
]
UnlockUserResult = Annotated[
    UserPayload | ValidationError | NotFound | PermissionDenied,
    strawberry.union("UnlockUserResult", description="The unlocked user, or why not."),
]
BulkUserActionResult = Annotated[
    BulkUserActionPayload | ValidationError | NotFound | PermissionDenied,
    strawberry.union("BulkUserActionResult", description="Each user's outcome, or why not."),
]
SetUserPermissionsResult = Annotated[
    UserPermissionsPayload | ValidationError | NotFound | PermissionDenied,
    strawberry.union("SetUserPermissionsResult", description="The grants, or why not."),
]


@strawberry.type
class UsersMutations:
    @mutation(
        "Create an account with a password (the policy applies) and a role you may grant; "
        "`permissions` (direct grants) also needs permissions:write.",
        access=needs(Permission.USERS_WRITE),
    )
    async def create_user(
        self, info: Info[Context, None], input: CreateUserInput
    ) -> CreateUserResult:
        user = await users_admin.create_user(
            info.context.deps,
            principal=await info.context.principal(),
            new=input.new_user(default_role="user"),
        )
        return UserPayload(user=User.from_model(user))

    @mutation(
        "Create an administrator (role 'admin' unless given; never 'user') with direct "
        "permissions; permissions also need permissions:write.",
        access=needs(Permission.USERS_WRITE),
    )
    async def create_admin_user(
        self, info: Info[Context, None], input: CreateUserInput
    ) -> CreateAdminUserResult:
        user = await users_admin.create_user(
            info.context.deps,
            principal=await info.context.principal(),
            new=input.new_user(default_role="admin"),
            admin=True,
        )
        return UserPayload(user=User.from_model(user))

    @mutation(
        "Change the fields given (PATCH). Deactivating ends the user's sessions; a status to "
        "or from LOCKED also needs users:lock; your own email or username needs "
        "currentPassword.",
        access=needs(Permission.USERS_WRITE),
    )
    async def update_user(
        self, info: Info[Context, None], id: strawberry.ID, input: UpdateUserInput
    ) -> UpdateUserResult:
        return await _update(info, id, input, replace=False)

    @mutation(
        "Replace the user's fields (PUT): profile fields and username not given are cleared; "
        "email, role, status and isActive stay unless given; your own email or username needs "
        "currentPassword.",
        access=needs(Permission.USERS_WRITE),
    )
    async def replace_user(
        self, info: Info[Context, None], id: strawberry.ID, input: UpdateUserInput
    ) -> ReplaceUserResult:
        return await _update(info, id, input, replace=True)

    @mutation("Delete an account; its sessions end at once.", access=needs(Permission.USERS_DELETE))
    async def delete_user(
        self, info: Info[Context, None], id: strawberry.ID, reason: str | None = None
    ) -> DeleteUserResult:
        await users_admin.delete_user(
            info.context.deps,
            principal=await info.context.principal(),
            user_id=parse_id(id),
            reason=reason,
        )
        return UserDeleted(id=id)

    @mutation(
        "Lock an account (for durationMinutes, or until unlocked); its sessions end at once.",
        access=needs(Permission.USERS_LOCK),
    )
    async def lock_user(
        self, info: Info[Context, None], id: strawberry.ID, input: LockUserInput | None = None
    ) -> LockUserResult:
        input = input or LockUserInput()
        user = await users_admin.lock_user(
            info.context.deps,
            principal=await info.context.principal(),
            user_id=parse_id(id),
            reason=input.reason,
            duration_minutes=input.duration_minutes,
        )
        return UserPayload(user=User.from_model(user))

    @mutation("Lift a lock, and the failed-login lockout.", access=needs(Permission.USERS_LOCK))
    async def unlock_user(self, info: Info[Context, None], id: strawberry.ID) -> UnlockUserResult:
        user = await users_admin.unlock_user(
            info.context.deps, principal=await info.context.principal(), user_id=parse_id(id)
        )
        return UserPayload(user=User.from_model(user))

    @mutation(
        "One action on many users, each outcome reported; `dryRun` reports without changing "
        "anything. ACTIVATE, DEACTIVATE and ASSIGN_ROLE need users:write, LOCK and UNLOCK "
        "users:lock, DELETE users:delete.",
        access=SIGNED_IN,
    )
    async def bulk_user_action(
        self, info: Info[Context, None], input: BulkUserActionInput
    ) -> BulkUserActionResult:
        result = await users_admin.bulk_action(
            info.context.deps,
            principal=await info.context.require_principal(),
            action=input.action,
            user_ids=parse_ids(input.user_ids, field="userIds"),
            reason=input.reason,
            role=input.role,
            duration_minutes=input.duration_minutes,
            dry_run=input.dry_run,
        )
        return BulkUserActionPayload.from_result(result)

    @mutation(
        "Set a user's direct permission grants; you must hold each permission added or "
        "removed; unknown names are refused.",
        access=needs(Permission.USERS_WRITE, Permission.PERMISSIONS_WRITE),
    )
    async def set_user_permissions(
        self, info: Info[Context, None], id: strawberry.ID, permissions: list[str]
    ) -> SetUserPermissionsResult:
        user, grants = await users_admin.set_permissions(
            info.context.deps,
            principal=await info.context.principal(),
            user_id=parse_id(id),
            permissions=permissions,
        )
        return UserPermissionsPayload(
            user=User.from_model(user),
            permissions=grants.ordered_direct,
            effective_permissions=grants.ordered,
        )


async def _update(
    info: Info[Context, None], id: strawberry.ID, input: UpdateUserInput, *, replace: bool
) -> UserPayload:
    user = await users_admin.update_user(
        info.context.deps,
        principal=await info.context.principal(),
        user_id=parse_id(id),
        changes=input.changes(),
        replace=replace,
        current_password=input.current_password,
    )
    return UserPayload(user=User.from_model(user))
