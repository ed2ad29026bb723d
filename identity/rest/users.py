"""Users administration: seed 000 and 004's ``/api/v1/users`` and ``/api/v1/admin/users``,
seed 003's ``/v1/users``. Thin adapters onto ``services.users_admin``, which decides access.

``{user_id}`` is matched as a UUID (``{user_id:uuid}``), so ``/api/v1/users/me`` (seed 004,
in ``api_v1_auth``) never reaches these routes whatever their order.
"""

from __future__ import annotations

import math
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from identity.models import User, UserStatus
from identity.principal import Principal
from identity.rest.deps import DepsDep, PrincipalDep
from identity.rest.params import FilterText, Offset, Page, UsersPageSize
from identity.rest.shapes import user_json, when
from identity.services import users_admin
from identity.services.deps import Deps
from identity.services.users_admin import (
    UNSET,
    BulkAction,
    NewUser,
    SortField,
    SortOrder,
    UserChanges,
    UserQuery,
)

api_v1 = APIRouter(prefix="/api/v1", tags=["users administration (seeds 000, 004)"])
v1 = APIRouter(prefix="/v1", tags=["users administration (seed 003)"])

USER_PATH = "/users/{user_id:uuid}"
MAX = users_admin.MAX_PAGE_SIZE


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class CreateUserBody(Body):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)
    username: str | None = Field(None, max_length=150)
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    display_name: str | None = Field(None, max_length=300)
    role: str = Field("user", max_length=100)
    status: UserStatus | None = None
    is_active: bool | None = None
    email_verified: bool | None = None
    is_verified: bool | None = None  # seed 004's name
    must_change_password: bool = False
    permissions: list[str] = Field(default_factory=list, max_length=200)
    organization_id: str | None = None  # seed 004; there are no organizations yet

    def new_user(self, *, default_role: str = "user") -> NewUser:
        verified = self.email_verified if self.email_verified is not None else self.is_verified
        return NewUser(
            email=self.email,
            password=self.password,
            username=self.username,
            first_name=self.first_name,
            last_name=self.last_name,
            display_name=self.display_name,
            role=self.role if "role" in self.model_fields_set else default_role,
            status=self.status,
            is_active=self.is_active,
            email_verified=bool(verified),
            must_change_password=self.must_change_password,
            permissions=self.permissions,
        )


class UpdateUserBody(Body):
    """PUT and PATCH: PATCH changes the fields sent; PUT also clears the profile fields not
    sent (email, role, status and is_active stay unless sent)."""

    email: str | None = Field(None, max_length=320)
    username: str | None = Field(None, max_length=150)
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    display_name: str | None = Field(None, max_length=300)
    avatar_url: str | None = Field(None, max_length=users_admin.PROFILE_FIELDS["avatar_url"])
    organization: str | None = Field(None, max_length=200)
    subscription_plan: str | None = Field(None, max_length=100)
    role: str | None = Field(None, max_length=100)
    status: UserStatus | None = None
    is_active: bool | None = None
    email_verified: bool | None = None
    is_verified: bool | None = None  # seed 004's name
    current_password: str | None = Field(
        None,
        max_length=1024,
        description="Your current password: needed when you change your own email or username.",
    )

    def changes(self) -> UserChanges:
        sent = self.model_fields_set

        def given(name: str) -> Any:
            return getattr(self, name) if name in sent else UNSET

        def given_value(name: str) -> Any:
            """Fields that cannot be null: null means "leave it"."""
            value = getattr(self, name)
            return value if name in sent and value is not None else UNSET

        verified = given_value("email_verified")
        if verified is UNSET:
            verified = given_value("is_verified")
        status = given_value("status")
        return UserChanges(
            email=given_value("email"),
            username=given("username"),
            first_name=given("first_name"),
            last_name=given("last_name"),
            display_name=given("display_name"),
            avatar_url=given("avatar_url"),
            organization=given("organization"),
            subscription_plan=given("subscription_plan"),
            role=given_value("role"),
            status=status if status is UNSET else str(status.value),
            is_active=given_value("is_active"),
            email_verified=verified,
        )


class LockBody(Body):
    reason: str | None = Field(None, max_length=500)
    duration_minutes: int | None = Field(None, ge=1, le=users_admin.MAX_LOCK_MINUTES)


class BulkBody(Body):
    user_ids: list[uuid.UUID] = Field(min_length=1, max_length=users_admin.MAX_BULK_USERS)
    action: BulkAction
    reason: str | None = Field(None, max_length=500)
    role: str | None = Field(None, max_length=100)
    duration_minutes: int | None = Field(None, ge=1, le=users_admin.MAX_LOCK_MINUTES)
    dry_run: bool = False


class PermissionsBody(Body):
    permissions: list[str] = Field(max_length=200)


class ListParams(BaseModel):
    """Seed 000's page/size and seed 004's skip/limit (which win when sent), and filters;
    bounded by the pagination rule (``identity.rest.params``)."""

    page: Page = 1
    size: UsersPageSize = 20
    skip: Offset | None = None
    limit: UsersPageSize | None = None
    search: FilterText | None = None
    role: FilterText | None = None
    status: UserStatus | None = None
    is_active: bool | None = None
    sort: SortField = SortField.CREATED_AT
    order: SortOrder = SortOrder.ASC

    def query(self, *, admins_only: bool = False) -> UserQuery:
        size = self.limit or self.size
        offset = self.skip if self.skip is not None else (self.page - 1) * self.size
        return UserQuery(
            search=self.search,
            role=self.role,
            status=self.status.value if self.status else None,
            is_active=self.is_active,
            admins_only=admins_only,
            sort=self.sort,
            order=self.order,
            offset=offset,
            limit=size,
        )


ListQuery = Annotated[ListParams, Query()]


async def _described(deps: Deps, users: list[User]) -> list[dict[str, Any]]:
    """Users with their effective permissions and direct grants: a fixed number of queries."""
    grants = await users_admin.grants_of(deps, [user.id for user in users])
    return [
        {
            **user_json(user, permissions=grants[user.id].ordered),
            "direct_permissions": grants[user.id].ordered_direct,
            "locked_at": when(user.locked_at),
        }
        for user in users
    ]


async def _one(deps: Deps, user: User) -> dict[str, Any]:
    return (await _described(deps, [user]))[0]


async def _page(
    deps: Deps, principal: Principal, params: ListParams, *, admins_only: bool = False
) -> dict[str, Any]:
    query = params.query(admins_only=admins_only)
    page = await users_admin.list_users(deps, principal=principal, query=query)
    return {
        "items": await _described(deps, page.users),
        "total": page.total,
        "page": page.offset // page.limit + 1,
        "size": page.limit,
        "pages": math.ceil(page.total / page.limit),
        "skip": page.offset,
        "limit": page.limit,
    }


# Seeds 000 and 004: /api/v1/users


@api_v1.get("/users", summary="List users (seeds 000, 004). Requires users:read")
async def list_users(params: ListQuery, deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    return await _page(deps, principal, params)


@api_v1.post(
    "/users", status_code=201, summary="Create a user (seeds 000, 004). Requires users:write"
)
async def create_user(
    body: CreateUserBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    user = await users_admin.create_user(deps, principal=principal, new=body.new_user())
    return await _one(deps, user)


@api_v1.post(
    "/users/bulk-actions",
    summary="One action on many users, each outcome reported (seed 000). "
    "Requires users:write (activate, deactivate, assign_role), users:lock (lock, unlock) "
    "or users:delete (delete)",
)
async def bulk_actions(body: BulkBody, deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    result = await users_admin.bulk_action(
        deps,
        principal=principal,
        action=body.action,
        user_ids=body.user_ids,
        reason=body.reason,
        role=body.role,
        duration_minutes=body.duration_minutes,
        dry_run=body.dry_run,
    )
    return {
        "message": "Dry run: nothing was changed" if result.dry_run else "Bulk action completed",
        "action": result.action.value,
        "dry_run": result.dry_run,
        "affected_users": result.affected,
        "failed_users": [
            {"user_id": str(one.user_id), "code": one.code, "message": one.message}
            for one in result.failed
        ],
        "results": [
            {
                "user_id": str(one.user_id),
                "ok": one.ok,
                "code": one.code,
                "message": one.message,
            }
            for one in result.outcomes
        ],
    }


@api_v1.get(USER_PATH, summary="One user (seeds 000, 004). Requires users:read")
async def get_user(user_id: uuid.UUID, deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    user = await users_admin.get_user(deps, principal=principal, user_id=user_id)
    return await _one(deps, user)


@api_v1.put(
    USER_PATH,
    summary="Replace a user's fields (seeds 000, 004). Requires users:write "
    "(and users:lock to change a lock)",
)
async def replace_user(
    user_id: uuid.UUID, body: UpdateUserBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    user = await users_admin.update_user(
        deps,
        principal=principal,
        user_id=user_id,
        changes=body.changes(),
        replace=True,
        current_password=body.current_password,
    )
    return await _one(deps, user)


@api_v1.patch(
    USER_PATH,
    summary="Change some of a user's fields (seed 000). Requires users:write "
    "(and users:lock to change a lock)",
)
async def patch_user(
    user_id: uuid.UUID, body: UpdateUserBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    user = await users_admin.update_user(
        deps,
        principal=principal,
        user_id=user_id,
        changes=body.changes(),
        current_password=body.current_password,
    )
    return await _one(deps, user)


@api_v1.delete(
    USER_PATH,
    status_code=204,
    response_class=Response,
    summary="Delete a user (seeds 000, 004). Requires users:delete",
)
async def delete_user(user_id: uuid.UUID, deps: DepsDep, principal: PrincipalDep) -> None:
    await users_admin.delete_user(deps, principal=principal, user_id=user_id)


@api_v1.post(
    USER_PATH + "/lock",
    summary="Lock a user and end their sessions (seed 000). Requires users:lock",
)
async def lock_user(
    user_id: uuid.UUID, deps: DepsDep, principal: PrincipalDep, body: LockBody | None = None
) -> dict[str, Any]:
    body = body or LockBody()
    user = await users_admin.lock_user(
        deps,
        principal=principal,
        user_id=user_id,
        reason=body.reason,
        duration_minutes=body.duration_minutes,
    )
    described = await _one(deps, user)
    return {
        "message": "User account locked successfully",
        "locked_until": described["locked_until"],
        "user": described,
    }


@api_v1.post(USER_PATH + "/unlock", summary="Unlock a user (seed 000). Requires users:lock")
async def unlock_user(user_id: uuid.UUID, deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    user = await users_admin.unlock_user(deps, principal=principal, user_id=user_id)
    return {"message": "User account unlocked successfully", "user": await _one(deps, user)}


# Seed 000: /api/v1/admin/users


@api_v1.get(
    "/admin/users",
    summary="List administrators: users whose role is not 'user' (seed 000). Requires users:read",
)
async def list_admins(params: ListQuery, deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    return await _page(deps, principal, params, admins_only=True)


@api_v1.post(
    "/admin/users",
    status_code=201,
    summary="Create an administrator with direct permissions (seed 000). "
    "Requires users:write, and permissions:write when permissions are sent",
)
async def create_admin(
    body: CreateUserBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    user = await users_admin.create_user(
        deps, principal=principal, new=body.new_user(default_role="admin"), admin=True
    )
    return await _one(deps, user)


@api_v1.put(
    "/admin/users/{admin_id:uuid}/permissions",
    summary="Set a user's direct permissions (seed 000). "
    "Requires users:write and permissions:write",
)
async def set_admin_permissions(
    admin_id: uuid.UUID, body: PermissionsBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    user, grants = await users_admin.set_permissions(
        deps, principal=principal, user_id=admin_id, permissions=body.permissions
    )
    return {
        "message": "Permissions updated successfully",
        "permissions": grants.ordered_direct,
        "effective_permissions": grants.ordered,
        "user_id": str(user.id),
    }


# Seed 003: /v1/users


class OffsetParams(BaseModel):
    limit: UsersPageSize = 50
    offset: Offset = 0
    search: FilterText | None = None
    role: FilterText | None = None
    status: UserStatus | None = None
    is_active: bool | None = None
    sort: SortField = SortField.CREATED_AT
    order: SortOrder = SortOrder.ASC


@v1.get("/users", summary="List users (seed 003). Requires users:read")
async def v1_list_users(
    params: Annotated[OffsetParams, Query()], deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    query = UserQuery(
        search=params.search,
        role=params.role,
        status=params.status.value if params.status else None,
        is_active=params.is_active,
        sort=params.sort,
        order=params.order,
        offset=params.offset,
        limit=params.limit,
    )
    page = await users_admin.list_users(deps, principal=principal, query=query)
    items = await _described(deps, page.users)
    return {
        "users": items,
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
        "count": len(items),
    }


@v1.post("/users", status_code=201, summary="Create a user (seed 003). Requires users:write")
async def v1_create_user(
    body: CreateUserBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    user = await users_admin.create_user(deps, principal=principal, new=body.new_user())
    return await _one(deps, user)


V1_USER_PATH = "/users/{id:uuid}"


@v1.get(V1_USER_PATH, summary="One user (seed 003). Requires users:read")
async def v1_get_user(id: uuid.UUID, deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    user = await users_admin.get_user(deps, principal=principal, user_id=id)
    return await _one(deps, user)


@v1.put(
    V1_USER_PATH,
    summary="Change the fields sent (seed 003). Requires users:write "
    "(and users:lock to change a lock)",
)
async def v1_update_user(
    id: uuid.UUID, body: UpdateUserBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    user = await users_admin.update_user(
        deps,
        principal=principal,
        user_id=id,
        changes=body.changes(),
        current_password=body.current_password,
    )
    return await _one(deps, user)


@v1.delete(V1_USER_PATH, summary="Delete a user (seed 003). Requires users:delete")
async def v1_delete_user(id: uuid.UUID, deps: DepsDep, principal: PrincipalDep) -> dict[str, str]:
    await users_admin.delete_user(deps, principal=principal, user_id=id)
    return {"message": "User deleted"}
