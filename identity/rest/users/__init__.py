"""Users administration: seed 000 and 004's ``/api/v1/users`` and ``/api/v1/admin/users``,
seed 003's ``/v1/users``. Thin adapters onto ``services.users_admin``, which decides access.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Query, Response

from identity.models import User
from identity.principal import Principal
from identity.rest.deps import DepsDep, PrincipalDep
from identity.rest.params import Id
from identity.rest.responses.account import Message
from identity.rest.responses.admin import (
    AdminUserOut,
    BulkOut,
    DirectPermissionsOut,
    LockedOut,
    UnlockedOut,
    UsersOffsetPageOut,
    UsersPageOut,
)
from identity.rest.routing import row
from identity.rest.shapes import user_json, when
from identity.rest.users.bodies import (
    BulkBody,
    CreateUserBody,
    ListParams,
    LockBody,
    OffsetParams,
    PermissionsBody,
    UpdateUserBody,
)
from identity.services import users_admin
from identity.services.accounts import SUPERADMIN_ROLE
from identity.services.deps import Deps
from identity.services.users_admin import UserQuery
from identity.services.users_admin.shapes import TotalCount, UserRow

ListQuery = Annotated[ListParams, Query()]


async def _described(
    deps: Deps, users: list[User], principal: Principal | None = None
) -> list[dict[str, Any]]:
    """Users with their effective permissions (in the caller's tenant) and direct grants: a
    fixed number of queries."""
    grants = await users_admin.grants_of(
        deps, [user.id for user in users], tenant_id=principal.tenant_id if principal else None
    )
    return [
        {
            **user_json(user, permissions=grants[user.id].ordered),
            "direct_permissions": grants[user.id].ordered_direct,
            "locked_at": when(user.locked_at),
        }
        for user in users
    ]


async def _one(deps: Deps, user: User, principal: Principal | None = None) -> dict[str, Any]:
    return (await _described(deps, [user], principal))[0]


def _at(moment: datetime | None) -> str | None:
    """``when``, in one call: 700 of them a page."""
    if moment is None:
        return None
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat()[:-6] + "Z"


async def _listed(
    deps: Deps, rows: list[UserRow], principal: Principal | None
) -> list[dict[str, Any]]:
    """``_described`` for listed rows: ``user_json``'s fields, in its order, then the
    administrators' two; everyone's grants in one statement."""
    grants = await users_admin.grants_of(
        deps, [one.id for one in rows], tenant_id=principal.tenant_id if principal else None
    )
    items = []
    for one in rows:
        held = grants[one.id]
        user_id = str(one.id)
        tenant = one.primary_tenant_id
        items.append(
            {
                "id": user_id,
                "user_id": user_id,
                "email": one.email,
                "username": one.username,
                "first_name": one.first_name,
                "last_name": one.last_name,
                "name": one.name,
                "display_name": one.display_name,
                "organization": one.organization,
                "organization_id": str(tenant) if tenant else None,
                "subscription_plan": one.subscription_plan,
                "avatar_url": one.avatar_url,
                "role": one.role,
                "permissions": held.ordered,
                "status": one.status,
                "is_active": one.is_active,
                "is_superuser": one.role == SUPERADMIN_ROLE,
                "email_verified": one.email_verified,
                "is_verified": one.email_verified,
                "is_email_verified": one.email_verified,
                "email_verified_at": _at(one.email_verified_at),
                "last_login": _at(one.last_login),
                "last_login_ip": one.last_login_ip,
                "locked_until": _at(one.locked_until),
                "password_changed_at": _at(one.password_changed_at),
                "must_change_password": one.must_change_password,
                "created_at": _at(one.created_at),
                "updated_at": _at(one.updated_at),
                "direct_permissions": held.ordered_direct,
                "locked_at": _at(one.locked_at),
            }
        )
    return items


async def _page(
    deps: Deps, principal: Principal, params: ListParams, *, admins_only: bool = False
) -> dict[str, Any]:
    query = replace(params.query(admins_only=admins_only), total=TotalCount.RECENT)
    page = await users_admin.list_users(deps, principal=principal, query=query)
    total = page.total or 0
    return {
        "items": await _listed(deps, page.users, principal),
        "total": total,
        "page": page.offset // page.limit + 1,
        "size": page.limit,
        "pages": math.ceil(total / page.limit),
        "skip": page.offset,
        "limit": page.limit,
    }


async def list_users(params: ListQuery, deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    return await _page(deps, principal, params)


async def create_user(
    body: CreateUserBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    user = await users_admin.create_user(deps, principal=principal, new=body.new_user())
    return await _one(deps, user, principal)


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


async def get_user(user_id: Id, deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    user = await users_admin.get_user(deps, principal=principal, user_id=user_id)
    return await _one(deps, user, principal)


async def replace_user(
    user_id: Id, body: UpdateUserBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    user = await users_admin.update_user(
        deps,
        principal=principal,
        user_id=user_id,
        changes=body.changes(),
        replace=True,
        current_password=body.current_password,
    )
    return await _one(deps, user, principal)


async def patch_user(
    user_id: Id, body: UpdateUserBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    user = await users_admin.update_user(
        deps,
        principal=principal,
        user_id=user_id,
        changes=body.changes(),
        current_password=body.current_password,
    )
    return await _one(deps, user, principal)


async def delete_user(user_id: Id, deps: DepsDep, principal: PrincipalDep) -> None:
    await users_admin.delete_user(deps, principal=principal, user_id=user_id)


async def lock_user(
    user_id: Id, deps: DepsDep, principal: PrincipalDep, body: LockBody | None = None
) -> dict[str, Any]:
    body = body or LockBody()
    user = await users_admin.lock_user(
        deps,
        principal=principal,
        user_id=user_id,
        reason=body.reason,
        duration_minutes=body.duration_minutes,
    )
    described = await _one(deps, user, principal)
    return {
        "message": "User account locked successfully",
        "locked_until": described["locked_until"],
        "user": described,
    }


async def unlock_user(user_id: Id, deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    user = await users_admin.unlock_user(deps, principal=principal, user_id=user_id)
    return {
        "message": "User account unlocked successfully",
        "user": await _one(deps, user, principal),
    }


async def list_admins(params: ListQuery, deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    return await _page(deps, principal, params, admins_only=True)


async def create_admin(
    body: CreateUserBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    user = await users_admin.create_user(
        deps, principal=principal, new=body.new_user(default_role="admin"), admin=True
    )
    return await _one(deps, user, principal)


async def set_admin_permissions(
    admin_id: Id, body: PermissionsBody, deps: DepsDep, principal: PrincipalDep
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


async def list_users_by_offset(
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
        total=TotalCount.RECENT,
    )
    page = await users_admin.list_users(deps, principal=principal, query=query)
    items = await _listed(deps, page.users, principal)
    return {
        "users": items,
        "total": page.total or 0,
        "limit": page.limit,
        "offset": page.offset,
        "count": len(items),
    }


async def delete_user_with_message(
    user_id: Id, deps: DepsDep, principal: PrincipalDep
) -> dict[str, str]:
    await users_admin.delete_user(deps, principal=principal, user_id=user_id)
    return {"message": "User deleted"}


API_V1 = "/api/v1/users"
ONE = API_V1 + "/{user_id}"
V1 = "/v1/users"
V1_ONE = V1 + "/{user_id}"
READ = "Requires users:read"
WRITE = "Requires users:write"
LOCK = "Requires users:lock"
REPLACE = "Replace a user's fields. Requires users:write (and users:lock to change a lock)"
CHANGE = "Change the fields sent. Requires users:write (and users:lock to change a lock)"

ROUTES = (
    row("GET", API_V1, list_users, f"List users. {READ}", seeds="000 004", response=UsersPageOut),
    row(
        "POST",
        API_V1,
        create_user,
        f"Create a user. {WRITE}",
        seeds="000 004",
        response=AdminUserOut,
        status_code=201,
    ),
    row(
        "POST",
        API_V1 + "/bulk-actions",
        bulk_actions,
        "One action on many users, each outcome reported. "
        "Requires users:write (activate, deactivate, assign_role), users:lock (lock, unlock) "
        "or users:delete (delete)",
        seeds="000",
        response=BulkOut,
    ),
    row("GET", ONE, get_user, f"One user. {READ}", seeds="000 004", response=AdminUserOut),
    row("PUT", ONE, replace_user, REPLACE, seeds="000 004", response=AdminUserOut),
    row("PATCH", ONE, patch_user, CHANGE, seeds="000", response=AdminUserOut),
    row(
        "DELETE",
        ONE,
        delete_user,
        "Delete a user. Requires users:delete",
        seeds="000 004",
        status_code=204,
        response_class=Response,
    ),
    row(
        "POST",
        ONE + "/lock",
        lock_user,
        f"Lock a user and end their sessions. {LOCK}",
        seeds="000",
        response=LockedOut,
    ),
    row(
        "POST",
        ONE + "/unlock",
        unlock_user,
        f"Unlock a user. {LOCK}",
        seeds="000",
        response=UnlockedOut,
    ),
    row(
        "GET",
        "/api/v1/admin/users",
        list_admins,
        f"List administrators: users whose role is not 'user'. {READ}",
        seeds="000",
        response=UsersPageOut,
    ),
    row(
        "POST",
        "/api/v1/admin/users",
        create_admin,
        "Create an administrator with direct permissions. "
        "Requires users:write, and permissions:write when permissions are sent",
        seeds="000",
        response=AdminUserOut,
        status_code=201,
    ),
    row(
        "PUT",
        "/api/v1/admin/users/{admin_id}/permissions",
        set_admin_permissions,
        "Set a user's direct permissions. Requires users:write and permissions:write",
        seeds="000",
        response=DirectPermissionsOut,
    ),
    row(
        "GET",
        V1,
        list_users_by_offset,
        f"List users. {READ}",
        seeds="003",
        response=UsersOffsetPageOut,
    ),
    row(
        "POST",
        V1,
        create_user,
        f"Create a user. {WRITE}",
        seeds="003",
        response=AdminUserOut,
        status_code=201,
    ),
    row("GET", V1_ONE, get_user, f"One user. {READ}", seeds="003", response=AdminUserOut),
    row("PUT", V1_ONE, patch_user, CHANGE, seeds="003", response=AdminUserOut),
    row(
        "DELETE",
        V1_ONE,
        delete_user_with_message,
        "Delete a user. Requires users:delete",
        seeds="003",
        response=Message,
    ),
)
