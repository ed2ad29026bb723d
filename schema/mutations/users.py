"""Users administration mutations: thin calls into ``services.users_admin``.

The permission each mutation needs is declared on the field (a caller without it gets an
error with ``extensions.code`` PERMISSION_DENIED, AUTHENTICATION_REQUIRED when anonymous);
what the service refuses beyond that (an extra permission, privilege escalation, the last
super-admin) comes back as a member of the mutation's result union.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry
from strawberry.types import Info

from identity.errors import IdentityError, ValidationFailed
from identity.permissions import Permission
from identity.services import users_admin
from schema.context import Context
from schema.errors import (
    Conflict,
    InvalidCredentials,
    LastSuperAdmin,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
    ValidationError,
    error_from,
)
from schema.permissions import AUTHENTICATED, HasPermission, IsAuthenticated, requires
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
    user_ids,
)

CreateUserResult = Annotated[
    UserPayload | ValidationError | Conflict | PermissionDenied,
    strawberry.union("CreateUserResult", description="The new user, or why not."),
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
    BulkUserActionPayload | ValidationError | PermissionDenied,
    strawberry.union("BulkUserActionResult", description="Each user's outcome, or why not."),
]
SetUserPermissionsResult = Annotated[
    UserPermissionsPayload | ValidationError | NotFound | PermissionDenied,
    strawberry.union("SetUserPermissionsResult", description="The grants, or why not."),
]

CREATE_ERRORS = (ValidationError, Conflict, PermissionDenied)
UPDATE_ERRORS = (
    ValidationError,
    Conflict,
    NotFound,
    PermissionDenied,
    LastSuperAdmin,
    InvalidCredentials,
    TooManyAttempts,
)
DELETE_ERRORS = (ValidationError, NotFound, PermissionDenied, LastSuperAdmin)
LOCK_ERRORS = (ValidationError, NotFound, PermissionDenied, LastSuperAdmin)
UNLOCK_ERRORS = (ValidationError, NotFound, PermissionDenied)
BULK_ERRORS = (ValidationError, PermissionDenied)
GRANTS_ERRORS = (ValidationError, NotFound, PermissionDenied)
LOCK = requires(Permission.USERS_LOCK)


def _id(value: strawberry.ID) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValidationFailed("Not a user id", field="id") from None


@strawberry.type
class UsersMutations:
    @strawberry.mutation(
        description="Create an account with a password (the policy applies) and a role you "
        "may grant; `permissions` (direct grants) also needs permissions:write. "
        f"{requires(Permission.USERS_WRITE)}",
        permission_classes=[HasPermission(Permission.USERS_WRITE)],
    )
    async def create_user(
        self, info: Info[Context, None], input: CreateUserInput
    ) -> CreateUserResult:
        try:
            user = await users_admin.create_user(
                info.context.deps,
                principal=await info.context.principal(),
                new=input.new_user(default_role="user"),
            )
        except IdentityError as exc:
            return error_from(exc, *CREATE_ERRORS)  # type: ignore[return-value]
        return UserPayload(user=User.from_model(user))

    @strawberry.mutation(
        description="Create an administrator (role 'admin' unless given; never 'user') with "
        "direct permissions, as seed 000's POST /admin/users; permissions also need "
        f"permissions:write. {requires(Permission.USERS_WRITE)}",
        permission_classes=[HasPermission(Permission.USERS_WRITE)],
    )
    async def create_admin_user(
        self, info: Info[Context, None], input: CreateUserInput
    ) -> CreateUserResult:
        try:
            user = await users_admin.create_user(
                info.context.deps,
                principal=await info.context.principal(),
                new=input.new_user(default_role="admin"),
                admin=True,
            )
        except IdentityError as exc:
            return error_from(exc, *CREATE_ERRORS)  # type: ignore[return-value]
        return UserPayload(user=User.from_model(user))

    @strawberry.mutation(
        description="Change the fields given (PATCH). Deactivating ends the user's sessions; "
        "a status to or from LOCKED also needs users:lock; your own email or username needs "
        f"currentPassword. {requires(Permission.USERS_WRITE)}",
        permission_classes=[HasPermission(Permission.USERS_WRITE)],
    )
    async def update_user(
        self, info: Info[Context, None], id: strawberry.ID, input: UpdateUserInput
    ) -> UpdateUserResult:
        return await _update(info, id, input, replace=False)

    @strawberry.mutation(
        description="Replace the user's fields (PUT): profile fields and username not given "
        "are cleared; email, role, status and isActive stay unless given; your own email or "
        f"username needs currentPassword. {requires(Permission.USERS_WRITE)}",
        permission_classes=[HasPermission(Permission.USERS_WRITE)],
    )
    async def replace_user(
        self, info: Info[Context, None], id: strawberry.ID, input: UpdateUserInput
    ) -> UpdateUserResult:
        return await _update(info, id, input, replace=True)

    @strawberry.mutation(
        description="Delete an account; its sessions end at once. "
        f"{requires(Permission.USERS_DELETE)}",
        permission_classes=[HasPermission(Permission.USERS_DELETE)],
    )
    async def delete_user(
        self, info: Info[Context, None], id: strawberry.ID, reason: str | None = None
    ) -> DeleteUserResult:
        try:
            await users_admin.delete_user(
                info.context.deps,
                principal=await info.context.principal(),
                user_id=_id(id),
                reason=reason,
            )
        except IdentityError as exc:
            return error_from(exc, *DELETE_ERRORS)  # type: ignore[return-value]
        return UserDeleted(id=id)

    @strawberry.mutation(
        description="Lock an account (for durationMinutes, or until unlocked); its sessions "
        f"end at once. {LOCK}",
        permission_classes=[HasPermission(Permission.USERS_LOCK)],
    )
    async def lock_user(
        self, info: Info[Context, None], id: strawberry.ID, input: LockUserInput | None = None
    ) -> LockUserResult:
        input = input or LockUserInput()
        try:
            user = await users_admin.lock_user(
                info.context.deps,
                principal=await info.context.principal(),
                user_id=_id(id),
                reason=input.reason,
                duration_minutes=input.duration_minutes,
            )
        except IdentityError as exc:
            return error_from(exc, *LOCK_ERRORS)  # type: ignore[return-value]
        return UserPayload(user=User.from_model(user))

    @strawberry.mutation(
        description=f"Lift a lock, and the failed-login lockout. {LOCK}",
        permission_classes=[HasPermission(Permission.USERS_LOCK)],
    )
    async def unlock_user(self, info: Info[Context, None], id: strawberry.ID) -> UnlockUserResult:
        try:
            user = await users_admin.unlock_user(
                info.context.deps, principal=await info.context.principal(), user_id=_id(id)
            )
        except IdentityError as exc:
            return error_from(exc, *UNLOCK_ERRORS)  # type: ignore[return-value]
        return UserPayload(user=User.from_model(user))

    @strawberry.mutation(
        description="One action on many users, each outcome reported; `dryRun` reports "
        "without changing anything. ACTIVATE, DEACTIVATE and ASSIGN_ROLE need users:write, "
        f"LOCK and UNLOCK users:lock, DELETE users:delete. {AUTHENTICATED}",
        permission_classes=[IsAuthenticated],
    )
    async def bulk_user_action(
        self, info: Info[Context, None], input: BulkUserActionInput
    ) -> BulkUserActionResult:
        try:
            result = await users_admin.bulk_action(
                info.context.deps,
                principal=await info.context.require_principal(),
                action=users_admin.BulkAction(str(input.action.value)),
                user_ids=user_ids(input.user_ids),
                reason=input.reason,
                role=input.role,
                duration_minutes=input.duration_minutes,
                dry_run=input.dry_run,
            )
        except IdentityError as exc:
            return error_from(exc, *BULK_ERRORS)  # type: ignore[return-value]
        return BulkUserActionPayload.from_result(result)

    @strawberry.mutation(
        description="Set a user's direct permission grants (seed 000's admin permissions); "
        "you must hold each permission added or removed; unknown names are refused. "
        f"{requires(Permission.USERS_WRITE)} {requires(Permission.PERMISSIONS_WRITE)}",
        permission_classes=[
            HasPermission(Permission.USERS_WRITE),
            HasPermission(Permission.PERMISSIONS_WRITE),
        ],
    )
    async def set_user_permissions(
        self, info: Info[Context, None], id: strawberry.ID, permissions: list[str]
    ) -> SetUserPermissionsResult:
        try:
            user, grants = await users_admin.set_permissions(
                info.context.deps,
                principal=await info.context.principal(),
                user_id=_id(id),
                permissions=permissions,
            )
        except IdentityError as exc:
            return error_from(exc, *GRANTS_ERRORS)  # type: ignore[return-value]
        return UserPermissionsPayload(
            user=User.from_model(user),
            permissions=grants.ordered_direct,
            effective_permissions=grants.ordered,
        )


async def _update(
    info: Info[Context, None], id: strawberry.ID, input: UpdateUserInput, *, replace: bool
) -> UpdateUserResult:
    try:
        user = await users_admin.update_user(
            info.context.deps,
            principal=await info.context.principal(),
            user_id=_id(id),
            changes=input.changes(),
            replace=replace,
            current_password=input.current_password,
        )
    except IdentityError as exc:
        return error_from(exc, *UPDATE_ERRORS)  # type: ignore[return-value]
    return UserPayload(user=User.from_model(user))
